"""Model classes run by Triton's Python backend (imported by the generated thin model.py files).

These modules import ``triton_python_backend_utils``, which exists only inside the Python-backend
stub; the logic they call lives in plain modules that are unit-tested outside Triton.
"""
