# /// marpkit
# requires: [torch, numpy, PIL]
# expect:
#   media: [table, image, histogram]
#   history: [confusion_matrix_table]  # where wandb.plot charts land
# ///
"""Module 5 - Advanced Features: rich media logging and wandb.watch.

The slide shows the `watch` and `log_media` regions. Everything else
(a tiny torch classifier, fake 8x8 "images", a short training loop)
stands in for a real project so the file runs anywhere on CPU:

    WANDB_MODE=offline python advanced_features.py

Needs torch (wandb.watch hooks into torch modules), numpy (for
wandb.plot.confusion_matrix) and Pillow (for wandb.Image).
"""

import torch
import wandb
from torch import nn

torch.manual_seed(0)
class_names = ["circle", "square", "triangle"]

# Fake data: 8x8 single-channel images whose mean brightness encodes the class.
labels = torch.randint(0, len(class_names), (96,))
images = torch.rand(96, 1, 8, 8) * 0.5 + labels.view(-1, 1, 1, 1) * 0.25
model = nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.ReLU(),
                      nn.Linear(16, len(class_names)))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

wandb.init(project="bailab-research", name="advanced-features",
           config={"learning_rate": 0.1, "epochs": 5, "batch_size": 16})

# region watch
# Track gradients and model topology (call before training)
wandb.watch(model, log="all", log_freq=10)
# endregion

for _epoch in range(wandb.config.epochs):
    for start in range(0, len(images), wandb.config.batch_size):
        batch = slice(start, start + wandb.config.batch_size)
        loss = nn.functional.cross_entropy(model(images[batch]), labels[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        wandb.log({"train/loss": loss.item()})

# Evaluate: predictions for the table and the confusion matrix.
with torch.no_grad():
    y_pred = model(images).argmax(dim=1).tolist()
y_true = labels.tolist()
columns = ["id", "prediction", "label"]
rows = [[i, class_names[p], class_names[t]]
        for i, (p, t) in enumerate(zip(y_pred, y_true, strict=True))]
sample_batch = images[:4]  # CHW tensors; wandb.Image accepts them

# region log_media
# Log additional artifacts
wandb.log({
    "predictions": wandb.Table(columns=columns, data=rows),
    "confusion_matrix": wandb.plot.confusion_matrix(
        y_true=y_true, preds=y_pred, class_names=class_names),
    "sample_images": [wandb.Image(img) for img in sample_batch],
})
# endregion

wandb.finish()
