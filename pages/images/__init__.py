"""Helpers of the image pages (DCGAN, CycleGAN): plain Python, no Streamlit."""
