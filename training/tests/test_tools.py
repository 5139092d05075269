"""Node-side tools: registering a learned task in NATS KV, and the ONNX in-process pipeline eval.

Both need what `pnpm test` has anyway (`pnpm install`'s node_modules and nats-server); they fail,
saying what is missing, rather than skip."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from training import invert, pipeline_eval

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NATS = shutil.which("nats-server") or ("/usr/sbin/nats-server" if os.access("/usr/sbin/nats-server", os.X_OK) else None)
FIXTURE = os.path.join(ROOT, "models", "fixture-tiny")


def require_node_side(test: unittest.TestCase) -> None:
    test.assertTrue(shutil.which("node"), "node is not on PATH")
    test.assertTrue(os.path.isdir(os.path.join(ROOT, "node_modules", "@emuedit", "stages")), "run `pnpm install` first")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Register(unittest.TestCase):
    def test_learned_task_lands_in_the_registry_bucket(self):
        require_node_side(self)
        self.assertTrue(NATS, "nats-server is not installed (apt-get install -y nats-server)")
        port = free_port()
        with tempfile.TemporaryDirectory() as d:
            srv = subprocess.Popen([NATS, "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", d],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                for _ in range(100):
                    try:
                        socket.create_connection(("127.0.0.1", port), 0.1).close()
                        break
                    except OSError:
                        time.sleep(0.05)
                entry = {"id": 16, "name": "contour", "group": "vision", "description": "outline",
                         "examples": ["outline the circle"], "embedding": [0.5, -1.25]}
                path = os.path.join(d, "entry.json")
                with open(path, "w") as f:
                    json.dump(entry, f)
                first = json.loads(invert.register(path, f"nats://127.0.0.1:{port}"))
                second = json.loads(invert.register(path, f"nats://127.0.0.1:{port}"))
                self.assertEqual(first["bucket"], "emuedit_tasks")
                self.assertEqual(first["key"], "contour")
                self.assertGreater(second["revision"], first["revision"])
            finally:
                srv.terminate()
                srv.wait(10)


class PipelineEval(unittest.TestCase):
    def test_fixture_edits_run_through_the_onnx_pipeline(self):
        require_node_side(self)
        res = pipeline_eval.run(FIXTURE, per_task=1, predict_task=True)
        self.assertEqual(res["edits"], 16)
        self.assertEqual(set(res["per_task"]), set(pipeline_eval.T.TASK_NAMES))


if __name__ == "__main__":
    unittest.main()
