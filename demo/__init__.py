"""The Gradio app over segcore: wiring only, no algorithms (those live in segcore)."""
