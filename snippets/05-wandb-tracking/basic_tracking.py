"""Module 5 - Basic Tracking Setup: the core W&B pattern, end to end.

The slides show the `init` and `train_loop` regions. The stand-ins in
between (a tiny "model", data loaders, an optimizer) replace the course
project's real training code so the whole file runs anywhere:

    WANDB_MODE=offline python basic_tracking.py
"""

import random
from types import SimpleNamespace

# region init
# Core pattern: initialize at the start of the training script
import wandb

run = wandb.init(
    project="bailab-research",          # Project name
    name="transformer-experiment-1",    # Experiment name
    config={                            # Hyperparameters
        "learning_rate": 1e-3,
        "batch_size": 32,
        "epochs": 100,
        "model": "transformer",
        "dataset": "bailab-dataset-v1",
    },
)
# endregion

# --- Stand-ins for real training code (not shown on the slides) -----------
random.seed(0)
model = SimpleNamespace(weights=[0.0] * 4)
optimizer = SimpleNamespace(param_groups=[{"lr": run.config.learning_rate}])
train_loader = [[random.random() for _ in range(run.config.batch_size)]] * 8
val_loader = train_loader[:2]


def train_epoch(model, loader):
    """Pretend to train one epoch; return a slowly falling loss."""
    model.weights = [w + 0.01 for w in model.weights]
    return 1.0 / (1.0 + sum(model.weights)) + random.uniform(0, 0.02)


def validate(model, loader):
    """Pretend to evaluate; return a slowly rising accuracy."""
    return min(0.99, 0.5 + sum(model.weights) / 10)


def save_checkpoint(model, path):
    """Write the model to disk (a real project would call torch.save)."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(repr(model.weights) + "\n")


# region train_loop
# Log metrics during training (most important)
for epoch in range(run.config.epochs):
    train_loss = train_epoch(model, train_loader)
    val_acc = validate(model, val_loader)
    wandb.log({
        "epoch": epoch,
        "train/loss": train_loss,
        "val/accuracy": val_acc,
        "learning_rate": optimizer.param_groups[0]["lr"],
    })

save_checkpoint(model, "model.pth")  # Save model artifacts
wandb.save("model.pth")
wandb.finish()  # End experiment
# endregion
