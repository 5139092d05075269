"""Training recipe for the default emuedit model (synthetic world, latent diffusion, ONNX export)."""
