"""The model zoo: the notes' L-layer network and the classic CNNs (course 4, week 2)."""

from .alexnet import alexnet
from .inception import inception_net
from .lenet import lenet5
from .mlp import mlp
from .mobilenet import mobilenet_v1
from .resnet import resnet50
from .transfer import precompute_features, replace_head, split
from .vgg import vgg16

__all__ = [
    "alexnet", "inception_net", "lenet5", "mlp", "mobilenet_v1", "precompute_features",
    "replace_head", "resnet50", "split", "vgg16",
]
