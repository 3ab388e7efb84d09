"""The review page never embeds files outside the dataset folder and cannot be broken by a cell;
broken pipes end quietly; help text quoting config sections is shown literally."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd

from labelaudit.review.html import _SCRIPT, script_json
from tests.helpers import planted, run_cli
from tests.hostile.conftest import sha


def _page(tmp_path, images, extra=()):
    given, P, _ = planted(n=40, k=3, noise=0.5, seed=2)
    np.save(tmp_path / "labels.npy", given)
    np.save(tmp_path / "probs.npy", P)
    res = run_cli("audit", "--labels", tmp_path / "labels.npy", "--pred-probs",
                  tmp_path / "probs.npy", "--out", tmp_path / "r.parquet", "-q")  # fmt: skip
    assert res.exit_code == 0, res.stderr
    data = tmp_path / "data" / "d.csv"
    data.parent.mkdir()
    pd.DataFrame(
        {"image": (images * 40)[:40], "text": ["<!--<script>\u2028</script>&"] * 40}
    ).to_csv(data, index=False)
    res = run_cli("report", tmp_path / "r.parquet", "--html", tmp_path / "p.html", "--dataset",
                  data, "--image-column", "image", "--text-column", "text", *extra)  # fmt: skip
    assert res.exit_code == 0, res.stderr
    return (tmp_path / "p.html").read_text(encoding="utf-8")


def test_images_outside_the_dataset_folder_are_not_embedded(tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG SECRET-BYTES")
    page = _page(tmp_path, ["../secret.png", str(secret), "/etc/hostname"])
    encoded = base64.b64encode(b"\x89PNG SECRET-BYTES").decode()
    assert encoded not in page and "SECRET" not in page
    assert "not embedded: outside the dataset folder" in page
    assert sha(secret) == hashlib.sha256(b"\x89PNG SECRET-BYTES").hexdigest()


def test_image_root_widens_what_may_be_embedded(tmp_path):
    (tmp_path / "pics").mkdir()
    (tmp_path / "pics" / "a.png").write_bytes(b"\x89PNG inside-root")
    page = _page(tmp_path, ["a.png"], ("--image-root", str(tmp_path / "pics")))
    assert base64.b64encode(b"\x89PNG inside-root").decode() in page


def test_a_hostile_text_cell_cannot_leave_the_script_and_the_page_has_a_csp(tmp_path):
    page = _page(tmp_path, ["x.png"])
    data = page.split('<script type="application/json" id="report-data">', 1)[1]
    data = data.split("</script>", 1)[0]
    assert "<" not in data and ">" not in data and "\u2028" not in data
    assert json.loads(data)["rows"][0]["text"] == "<!--<script>\u2028</script>&"
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    csp = html.unescape(csp)
    digest = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp and "default-src 'none'" in csp
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", page), "no inline event handlers"


def test_script_json_round_trips():
    value = {"t": "</script><!-- & \u2028\u2029 >"}
    assert json.loads(script_json(value)) == value


def test_gate_help_shows_the_config_section_literally():
    res = run_cli("gate", "--help")
    assert "[tool.labelaudit]" in res.stdout


def test_help_into_a_closed_pipe_is_quiet():
    code = "import sys; sys.argv=['labelaudit','audit','--help']; from labelaudit.cli import main; main()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    proc.stdout.read(10)
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) in (0, 141), err
    assert err == b""
