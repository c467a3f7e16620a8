"""Stand-ins installed at the documented paths inside twin hosts (copied in, not imported by lab).

Each is a script on stdlib only, except ov_server.py, which is not a stand-in but ov-llm-server's own API with
real OpenVINO GenAI inference (FastAPI under the real uvicorn; its model: lab/ovmodel.py), and chatgpt5_adapter.py
(FastAPI on mini's venv, as the owner's adapter). The stand-ins of the 2026-05 edition share twinhttp.py, which a
host layout installs next to them (they import it from the directory of their real path).
"""
