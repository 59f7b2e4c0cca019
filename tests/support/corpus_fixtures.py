"""Synthetic corpus pages for the dedup, search and concurrency tests: one AFP story, three sites."""

from __future__ import annotations

from pathlib import Path

from helpers import SEEDS

AFP_SEED = SEEDS / "004_8dd77840cf551b8b.txt"


def afp_core() -> list[str]:
    """The wire story's paragraphs, without the reprinting site's clutter."""
    lines = AFP_SEED.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("President Vladimir Putin"))
    end = next(i for i, line in enumerate(lines) if line.startswith("Related Links"))
    return [line for line in lines[start:end] if line.strip()]


def syndicated_copies(directory: Path) -> list[Path]:
    """Three reprints of the AFP story as text captures: different clutter, one lightly edited."""
    directory.mkdir(parents=True, exist_ok=True)
    core = afp_core()
    title = "Putin visits India for defence, trade talks"
    edited = [p.replace("defence", "defense").replace("Thursday", "Thursday evening")
              for i, p in enumerate(core) if i != 5]
    edited.insert(3, "Read more: India weighs new fighter jet purchases.")
    a = "\n\n".join(["DAILY LEDGER", "World | Business | Sport | Opinion", title,
                      "By Bhuvan Bagga, AFP", *core, "More stories",
                      "Markets close higher on rate cut hopes",
                      "Cyclone warning issued for coastal areas",
                      "Cricket: India beat Australia by six wickets",
                      "Copyright 2025 Daily Ledger. All rights reserved. Terms. Privacy. Cookies."])
    b = "\n\n".join(["Asia Wire Review", "Home  Asia  Defense  Energy  Podcasts",
                      "Putin in India for defense and trade talks", "AFP, December 4, 2025",
                      *edited, "Opinion: The new non-aligned era", "Oil prices steady as OPEC meets",
                      "Watch: Inside the S-500 factory",
                      "Newsletter: get the Asia Briefing every morning. Subscribe now.",
                      "Asia Wire Review is published by AWR Media Ltd."])
    c = "\n\n".join(["Home | World | Asia", "Advertisement", title, "AFP | 4 Dec 2025", *core,
                      "Share this article: Facebook Twitter WhatsApp",
                      "Sign up for our morning newsletter", "(c) 2025 Frontier Post"])
    paths = [directory / "ledger.txt", directory / "awr.txt", directory / "frontier.txt"]
    for path, text in zip(paths, (a, b, c), strict=False):
        path.write_text(text, encoding="utf-8")
    return paths


def build_corpus(directory: Path) -> Path:
    """Run the real CLI once: the five seeds, three reprints of the AFP seed, a dead source."""
    import shutil

    from helpers import run_cli, write_sources

    shutil.copytree(SEEDS, directory / "seeds")
    syndicated_copies(directory / "wire")
    sources = write_sources(directory, """\
        defaults:
          delay_s: 0
          max_retries: 0
          connect_timeout_s: 1
        sources:
          - name: seeds
            files: seeds/*.txt
          - name: wire
            files: wire/*.txt
          - name: deadsite
            urls: [http://127.0.0.1:9/gone.html]
        """)
    db = directory / "warehouse" / "corpus.duckdb"
    result = run_cli("run", "--sources", str(sources), "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    return db
