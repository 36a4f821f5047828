"""JupyterLab smoke test: the project's notebooks open and run in `jupyter lab` from the project environment.

Starts ``jupyter lab --no-browser`` on 127.0.0.1, a free port and a random token, in a scratch copy of the
project; through the REST API lists the notebooks, starts a kernel for one, runs ``import crackdown`` and the
notebook's first cells over the kernel's websocket, and shuts everything down; requests without the token (or
with a wrong one) are refused.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from conftest import ROOT

NOTEBOOK = "01_data_coverage"
FIRST_CELLS = 2  # the parameters cell and the cell that imports and validates them


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A running JupyterLab server and a tiny client for its REST API."""

    def __init__(self, root: Path, home: Path) -> None:
        self.port = _free_port()
        self.token = secrets.token_hex(24)
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "CRACKDOWN_ROOT": str(root), "JUPYTER_CONFIG_DIR": str(home / "config"),
               "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
               "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"), "IPYTHONDIR": str(home / "ipython")}
        home.mkdir(parents=True, exist_ok=True)
        self.log = (home / "lab.log").open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
             "--port-retries=0", f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={root}",
             *(["--allow-root"] if os.geteuid() == 0 else [])],  # containers often run tests as root
            cwd=root, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )

    def request(self, method: str, path: str, body: dict | None = None, token: str | None = "") -> tuple[int, object]:
        """(HTTP status, decoded JSON body or None); ``token=None`` sends no token at all."""
        headers = {"Content-Type": "application/json"}
        token = self.token if token == "" else token
        if token is not None:
            headers["Authorization"] = f"token {token}"
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw = resp.read()
                return resp.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            return exc.code, None

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"jupyter lab exited with {self.proc.returncode}")
            try:
                if self.request("GET", "/api/status")[0] == 200:
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.3)
        raise AssertionError("jupyter lab did not answer within the timeout")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def _execute(ws, code: str, timeout: float = 180) -> tuple[str, str]:
    """Run ``code`` in the kernel behind websocket ``ws``: (reply status, stdout + error text)."""
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test", "session": uuid.uuid4().hex,
                   "version": "5.3", "date": ""},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True},
    }))
    text, status, idle = [], None, False
    deadline = time.monotonic() + timeout
    while (status is None or not idle) and time.monotonic() < deadline:
        ws.settimeout(max(1.0, deadline - time.monotonic()))
        msg = json.loads(ws.recv())
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            text.append(content["text"])
        elif kind == "error":
            text.append(f"{content['ename']}: {content['evalue']}")
        elif kind == "execute_reply":
            status = content["status"]
        elif kind == "status" and content["execution_state"] == "idle":
            idle = True
    return status or "timeout", "".join(text)


@pytest.fixture
def lab(tmp_path: Path):
    root = tmp_path / "project"
    for name in ("notebooks", "data", "profiles"):
        shutil.copytree(ROOT / name, root / name)
    server = Lab(root, tmp_path / "home")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def test_lab_runs_a_notebooks_first_cells_and_shuts_down(lab: Lab) -> None:
    import websocket

    status, listing = lab.request("GET", "/api/contents/notebooks")
    assert status == 200
    names = sorted(item["name"] for item in listing["content"] if item["type"] == "notebook")
    assert names == sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))

    status, model = lab.request("GET", f"/api/contents/notebooks/{NOTEBOOK}.ipynb")
    assert status == 200
    code_cells = [c for c in model["content"]["cells"] if c["cell_type"] == "code"]
    assert "parameters" in code_cells[0]["metadata"].get("tags", [])

    status, session = lab.request("POST", "/api/sessions", {
        "path": f"notebooks/{NOTEBOOK}.ipynb", "type": "notebook", "name": f"{NOTEBOOK}.ipynb",
        "kernel": {"name": "python3"}})
    assert status == 201, status
    kernel_id = session["kernel"]["id"]
    ws = websocket.create_connection(f"ws://127.0.0.1:{lab.port}/api/kernels/{kernel_id}/channels",
                                     header=[f"Authorization: token {lab.token}"], timeout=60)
    try:
        check = f"import sys\nimport crackdown.paths\nprint(sys.prefix == {sys.prefix!r}, crackdown.paths.project_root().name)"
        status, out = _execute(ws, check)
        assert (status, out.split()) == ("ok", ["True", "project"]), out
        for cell in code_cells[:FIRST_CELLS]:
            status, out = _execute(ws, cell["source"])
            assert status == "ok", f"cell failed in JupyterLab:\n{cell['source'][:200]}\n{out}"
    finally:
        ws.close()

    assert lab.request("DELETE", f"/api/sessions/{session['id']}")[0] == 204
    assert lab.request("GET", "/api/kernels")[1] == []
    assert lab.request("POST", "/api/shutdown")[0] == 200
    assert lab.proc.wait(timeout=60) == 0


def test_requests_without_the_token_are_refused(lab: Lab) -> None:
    for token in (None, "not-the-token"):
        assert lab.request("GET", "/api/contents/notebooks", token=token)[0] == 403, token
        assert lab.request("POST", "/api/kernels", {"name": "python3"}, token=token)[0] == 403, token
    assert lab.request("GET", "/api/kernels")[1] == [], "a refused request started a kernel"
    assert lab.request("GET", "/api/contents/notebooks")[0] == 200  # the same request with the token works
