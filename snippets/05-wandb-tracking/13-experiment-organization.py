# Hierarchical organization
wandb.init(
    entity="bailab",                    # Organization name
    project="transformer-research",     # Broad research area
    group="ablation-study",            # Related experiments
    name="attention-heads-8",          # Specific experiment
    tags=["transformer", "attention", "ablation"]
)
