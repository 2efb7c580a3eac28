"""Module 5 - Efficient Logging Strategy: log sparsely, on one step axis.

The slide shows the `logging` region. W&B's step must only grow within a
run: a wandb.log(..., step=s) with s below the last step is dropped with
a warning. So per-batch and per-epoch metrics share one global step
counter. The stand-ins below replace a real model and data.

    WANDB_MODE=offline python efficient_logging.py
"""

import random

import wandb

random.seed(0)
run = wandb.init(project="bailab-research", name="efficient-logging",
                 config={"epochs": 3, "batches_per_epoch": 250})
config = run.config
model = {"quality": 0.0}
train_loader = range(config.batches_per_epoch)


def train_step(model, batch):
    """Stand-in for one optimisation step; returns the batch loss."""
    model["quality"] += 0.001
    return 1.0 / (1.0 + model["quality"]) + random.uniform(0, 0.05)


def evaluate(model):
    """Stand-in evaluation: (train accuracy, val loss, val accuracy)."""
    q = model["quality"]
    return 0.5 + q / 2, 1.0 / (1.0 + q), 0.45 + q / 2


# region logging
step = 0  # one counter for every wandb.log call; it only grows
for epoch in range(config.epochs):
    for batch in train_loader:
        step += 1
        loss = train_step(model, batch)
        if step % 100 == 0:  # Every 100 steps, not every step
            wandb.log({"train/loss": loss}, step=step)

    # Batch log multiple metrics in one call, at the same step
    train_acc, val_loss, val_acc = evaluate(model)
    wandb.log({"epoch": epoch, "train/accuracy": train_acc,
               "val/loss": val_loss, "val/accuracy": val_acc},
              step=step)
# endregion

wandb.finish()
