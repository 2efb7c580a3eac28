# Track everything that affects results
config = {
    # Model hyperparameters
    "model_name": "transformer",
    "hidden_size": 768,
    "num_layers": 12,
    
    # Training hyperparameters  
    "learning_rate": 1e-3,
    "batch_size": 32,
    "epochs": 100,
    
    # Data configuration
    "dataset_version": "v1.2",
    "preprocessing": "standard",
    
    # Environment
    "gpu_type": "A100",
    "framework_version": "torch==2.1.0"
}
