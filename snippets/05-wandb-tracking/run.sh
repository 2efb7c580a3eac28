#!/usr/bin/env bash
# Module 5 lab, Step 3: run the training script from the base research repo.
# Offline (no account yet)? Prefix with WANDB_MODE=offline and upload later
# with `wandb sync wandb/offline-run-*`.
set -euo pipefail

# region run
# Run training with W&B tracking
python src/training/train.py

# W&B prints the run's URL: open it to see its
# training curves, hyperparameters, system
# metrics and model artifacts. The curves of
# train.py's own run, as `marpkit check` recorded it:
# endregion
