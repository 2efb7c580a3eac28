cd base-research-repo

# Install W&B
uv pip install wandb

# Login to W&B (one-time setup)
wandb login
# Enter your API key from: https://wandb.ai/authorize
