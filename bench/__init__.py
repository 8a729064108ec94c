"""``make bench``: synthetic workbooks, import / report / page timings → ``bench/results.json``.

* :mod:`bench.synth` — deterministic synthetic monitoring workbooks;
* :mod:`bench.pages` — full-script timings of the dashboard pages (Streamlit AppTest);
* ``python -m bench`` — runs everything and prints an Italian/English summary.
"""
