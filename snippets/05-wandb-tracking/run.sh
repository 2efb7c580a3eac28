#!/usr/bin/env bash
# Module 5 lab, Step 3: run the training script from the base research repo.
# Offline (no account yet)? Prefix with WANDB_MODE=offline and upload later
# with `wandb sync wandb/offline-run-*`.
set -euo pipefail

# region run
# Run training with W&B tracking
python src/training/train.py

# W&B will output a URL to view results:
# 🚀 View run at
#    https://wandb.ai/bailab/bailab-base-research/runs/abc123

# Open the URL to see:
# - Real-time training curves
# - Hyperparameter values
# - System metrics (GPU, CPU, memory)
# - Model artifacts
# endregion
