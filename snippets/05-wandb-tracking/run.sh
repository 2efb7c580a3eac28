#!/usr/bin/env bash
# Module 5 lab, Step 3: run the training script from the base research repo.
# Offline (no account yet)? Prefix with WANDB_MODE=offline and upload later
# with `wandb sync wandb/offline-run-*`.
set -euo pipefail

# region run
# Run training with W&B tracking
python src/training/train.py

# W&B prints "🚀 View run at <URL>": open it
# to see the training curves, hyperparameters,
# system metrics and model artifacts. These are
# train.py's own, as `marpkit check` recorded them:
# endregion
