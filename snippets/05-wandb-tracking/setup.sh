#!/usr/bin/env bash
# Module 5 lab, Step 1: install W&B into the base research repo and log in.
# Run once per machine; the API key is stored in ~/.netrc afterwards.
set -euo pipefail

# region setup
cd base-research-repo

# Install W&B
uv pip install wandb

# Login to W&B (one-time setup)
wandb login
# Enter your API key from: https://wandb.ai/authorize
# endregion
