"""Transfer learning, seen from course 3.   notes course 3 week 2 ("Transfer learning")

Take the knowledge a network learned on task A and apply it to task B (done sequentially:
pre-training on A, fine-tuning on B). It makes sense when
  1. tasks A and B have the same input x (both are images, both are audio);
  2. you have a lot more data for task A than for task B (image recognition, 1,000,000
     images, to radiology diagnosis, 100 images);
  3. low-level features from A could be helpful for learning B.
With little data for B, freeze the trunk and retrain only the new last layer (``split``,
``replace_head``, ``Module.freeze``; ``precompute_features`` runs the frozen trunk over the
data once); with more, retrain the last one or two layers, or all of them starting from
A's weights. The helpers live in ``deepspec.models.transfer`` and are re-exported here.
"""

from ..models.transfer import precompute_features, replace_head, split
from ..nn import Module

freeze = Module.freeze      # freeze(module): stop gradients to every parameter
unfreeze = Module.unfreeze

__all__ = ["freeze", "precompute_features", "replace_head", "split", "unfreeze"]
