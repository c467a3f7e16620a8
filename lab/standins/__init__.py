"""Stand-ins installed at the documented paths inside twin hosts (copied in, not imported by lab).

Each is a self-contained script: stdlib only, except ov_server.py, which is not a stand-in but ov-llm-server's
own API with real OpenVINO GenAI inference (FastAPI under the real uvicorn; its model: lab/ovmodel.py).
"""
