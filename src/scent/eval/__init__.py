"""Evaluation: datasets, metrics (pure functions), the three systems in one run, reports and calibration fitting.

Modules: `datasets` (FlashRAG questions, BEIR sets), `metrics` (answer, support, citation, calibration),
`retrieval` (nDCG@10 / recall@100 as pytrec_eval computes them), `systems` (closed-book, rag, agent), `run` (the
resumable runner), `report` (summary, markdown table), `plots`, `calibration` (fitting the agent's Calibrator),
`cli` (`scent score | eval | eval-retrieval | calibrate`). Nothing heavy is imported until used.
"""
