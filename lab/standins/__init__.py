"""Stand-ins installed at the documented paths inside twin hosts (copied in, not imported by lab).

Each is a self-contained script: stdlib only, except ov_server.py (FastAPI under the real uvicorn).
"""
