"""The configuration's sections, one typed object per component (assembled by `scent.config.ScentConfig`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

SUPPORTED_EXTENSIONS = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".jsonl")


class ChunkConfig(BaseModel):
    """How extracted text is cut into passages."""

    model_config = {"extra": "forbid"}

    target_words: int = Field(150, ge=10, description="Stop growing a passage once it holds this many words.")
    max_words: int = Field(300, ge=20, description="Never exceed this; longer sentences are cut at spaces.")
    max_chars: int = Field(4000, ge=200, description="Never exceed this many characters either: a run of text "
                           "with no whitespace (a base64 blob, minified code) is cut here, and the cut reported.")


class IngestConfig(BaseModel):
    """Which files `scent index` reads and how."""

    model_config = {"extra": "forbid"}

    include: list[str] = Field(
        default_factory=list,
        description="Glob patterns (matched against the path relative to the root and against the file name); "
        "empty means every supported extension.",
    )
    exclude: list[str] = Field(default_factory=list, description="Glob patterns of files or folders to skip.")
    max_file_mb: float = Field(
        50.0, gt=0, description="Documents larger than this are skipped and reported; a .docx counts at its "
        "uncompressed size, and no document yields more characters of text than this many MB. Corpus .jsonl "
        "files are streamed, so their size is not limited, but each of their lines is (max_line_kb).")
    max_line_kb: int = Field(1024, ge=1, description="Corpus .jsonl lines longer than this are skipped (and "
                             "reported) without being held in memory.")
    max_record_chars: int = Field(20_000, ge=100, description="A corpus record's text is cut at this many "
                                  "characters (and the cut reported): a record is one passage, read whole by the "
                                  "agent.")
    follow_outside: bool = Field(False, description="Follow symlinks to files and folders outside the indexed "
                                 "folder. Off: each one is skipped and reported (reason outside-root).")
    chunk: ChunkConfig = Field(default_factory=ChunkConfig)
    commit_every_passages: int = Field(
        20_000, ge=1, description="Commit to disk after roughly this many passages (bounds work lost on a kill)."
    )


class SearchConfig(BaseModel):
    """BM25 index settings."""

    model_config = {"extra": "forbid"}

    writer_heap_mb: int = Field(256, ge=16, description="Tantivy indexing memory budget.")


class EmbedConfig(BaseModel):
    """Dense vectors: which embedder, and how `scent index` computes them (docs/retrieval.md)."""

    model_config = {"extra": "forbid"}

    spec: str = Field("minilm", description="minilm (bundled all-MiniLM-L6-v2, numpy) | openai:BASE_URL#MODEL "
                      "(any OpenAI-compatible /v1/embeddings). An index keeps the spec it was built with.")
    max_tokens: int = Field(256, ge=8, le=512, description="Word pieces of title + headings + text the bundled "
                            "model reads; the rest of a longer passage is cut off (its trained window is 256).")
    batch_size: int = Field(32, ge=1, description="Texts per forward pass (or per HTTP request); 32: the torch "
                            "bf16 rows of BENCHMARKS.md 'Embedding and fusion'.")
    backend: Literal["auto", "numpy", "torch"] = Field(
        "auto", description="Where the bundled model runs: auto (default) = torch (bf16 where the CPU computes it "
        "natively, else fp32) for bulk embedding (`scent index`) when torch is installed, numpy for queries and "
        "when it is not — 10x faster here, vectors within cosine 0.9995 of numpy's, not bit for bit; numpy = the "
        "same vectors for a text whatever the batch or worker; torch = every call (docs/retrieval.md).")
    checkpoint_every: int = Field(1024, ge=1, description="Passages per vector shard written to disk: a kill "
                                  "loses at most this much embedding work.")
    ann_threshold: int = Field(100_000, ge=1, description="From this many vectors on, an HNSW index (usearch) is "
                               "built and searched instead of the exact numpy scan.")
    timeout_s: float = Field(60.0, gt=0, description="Per-request timeout of the openai backend.")


Retriever = Literal["auto", "bm25", "dense", "hybrid"]


class RetrievalConfig(BaseModel):
    """How `Index.search` ranks: BM25, dense vectors, or both fused (docs/retrieval.md, "Fusion")."""

    model_config = {"extra": "forbid"}

    retriever: Retriever = Field("auto", description="auto = hybrid when the index has vectors, else bm25.")
    fusion: Literal["max", "rrf", "minmax", "zscore"] = Field(
        "max", description="How hybrid fuses BM25 and dense: max = the larger of each ranking's weighted min-max "
        "normalised score (CombMAX: keeps what either found); rrf = weighted reciprocal rank; minmax / zscore = "
        "a convex sum of scores normalised per ranking (weights scaled to sum to 1).")
    rrf_k: float = Field(60.0, gt=0, description="RRF constant: score = sum of weight / (rrf_k + rank).")
    bm25_weight: float = Field(0.3, ge=0, description="Weight of the BM25 ranking in the fusion (max 0.3 : 0.7 "
                               "chosen on the tune half of BEIR DBpedia-5k, BENCHMARKS.md 'Embedding and fusion').")
    dense_weight: float = Field(0.7, ge=0, description="Weight of the dense ranking in the fusion.")
    depth: int = Field(100, ge=1, description="How deep each ranking goes before fusion.")
    ann_ef: int = Field(128, ge=1, description="HNSW search breadth (usearch expansion_search).")


class LLMConfig(BaseModel):
    """How model calls are made (all backends)."""

    model_config = {"extra": "forbid"}

    timeout_s: float = Field(120.0, gt=0, description="Per-request timeout for HTTP backends.")
    max_retries: int = Field(5, ge=0, description="Retries on 429/5xx/timeouts/connection errors.")
    backoff_base_s: float = Field(0.5, ge=0, description="First backoff delay; doubles per retry (full jitter).")
    backoff_max_s: float = Field(30.0, ge=0, description="Cap on one backoff delay, Retry-After included.")
    json_repairs: int = Field(2, ge=0, description="Corrective turns when a reply does not match its schema.")
    n_ctx: int = Field(8192, ge=512, description="Context window for embedded (llama.cpp) models.")
    n_threads: int | None = Field(None, ge=1, description="CPU threads for llama.cpp; None = all cores.")
    api_key_origins: list[str] = Field(
        default_factory=list, description="Non-loopback origins (https://host[:port]) that may receive the API key "
        "from SCENT_API_KEY / OPENAI_API_KEY. Loopback endpoints always may; OPENAI_API_KEY also goes to its own "
        "OPENAI_BASE_URL (default api.openai.com). No other endpoint ever receives a key (docs/security.md).")


class BudgetConfig(BaseModel):
    """Run budgets. Defaults suit the embedded 0.5B model on 2 cores; a strong server model can be given more."""

    model_config = {"extra": "forbid"}

    max_steps: int = Field(24, ge=1, description="Tool calls (searches, opens, finds) for the whole run.")
    max_tokens: int = Field(60_000, ge=1000, description="Prompt + completion tokens for the whole run.")
    max_seconds: float = Field(900.0, gt=0, description="Wall-clock limit for the search phase.")


class ResearchConfig(BaseModel):
    """How `scent research` builds a report (docs/research.md): `[agent.research]` in scent.toml,
    `--set agent.research.FIELD=VALUE`. The defaults fit the embedded 0.5B model on 2 cores (a report in a few
    minutes); `preset = "served"` goes wider and deeper and lets a strong served model choose the outline and
    shorten sentences. Fields given explicitly win over the preset."""

    model_config = {"extra": "forbid"}

    preset: Literal["embedded", "served"] = Field("embedded", description="embedded: the defaults below; served: "
                                                   "more sections, passages and claims, model outline choice and "
                                                   "rewrites, a larger budget.")
    sections: int = Field(12, ge=1, le=30, description="Sections of the outline researched (each its own retrieval).")
    section_k: int = Field(8, ge=1, le=50, description="Passages the search of one section retrieves.")
    passages: int = Field(3, ge=1, le=10, description="Whole passages read per section.")
    candidates: int = Field(8, ge=2, le=20, description="Candidate sentences of a section's passages shown to the "
                            "writer, ranked by the program.")
    claims: int = Field(3, ge=1, le=10, description="Most claims (cited sentences) per section.")
    choose_claims: bool = Field(True, description="The writer chooses the section's claims among the candidate "
                                "sentences (else the program's ranking alone).")
    outline_choice: bool = Field(False, description="The planner chooses and orders the outline's sections among "
                                 "the candidates the corpus suggests (else the program's ranking).")
    rewrite: bool = Field(False, description="The writer shortens each claim; a shortening is kept only when its "
                          "content words are the quote's own.")
    budget: BudgetConfig = Field(default_factory=lambda: BudgetConfig(max_steps=80, max_seconds=300.0),
                                 description="The report's budget, counted from the start of the run (the "
                                 "question's first hop runs under the agent's): tool calls, tokens, and the seconds "
                                 "after which sections not started are listed as gaps and the report is partial.")

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("preset", "embedded") in RESEARCH_PRESETS:
            return merge_settings(RESEARCH_PRESETS[data.get("preset", "embedded")], data)
        return data


RESEARCH_PRESETS: dict[str, dict[str, Any]] = {
    "embedded": {"budget": {"max_steps": 80, "max_seconds": 300.0}},
    "served": {"sections": 14, "section_k": 12, "passages": 4, "candidates": 12, "claims": 5, "outline_choice": True,
               "rewrite": True, "budget": {"max_steps": 200, "max_tokens": 400_000, "max_seconds": 1200.0}},
}


class AgentConfig(BaseModel):
    """How the agent searches, reads and decides: `[agent]` in scent.toml, `--set agent.FIELD=VALUE` on the
    command line. `preset` fills in a named group of settings first; fields given explicitly win."""

    model_config = {"extra": "forbid"}

    preset: Literal["default", "fast", "thorough"] = Field(
        "default", description="fast: one writer view, fewer hops; thorough: planner, model query rounds, judge, "
        "more views (for a strong served model).")
    wide_k: int = Field(20, ge=1, le=100, description="Passages the first hop retrieves for the question itself.")
    k: int = Field(5, ge=1, le=20, description="Passages per follow-up search (phrase, entity and model queries).")
    variants: bool = Field(True, description="Also search the question's own names and quoted phrases as exact "
                           "phrases (title lookups), fused into the first hop.")
    entity_hops: int = Field(6, ge=0, le=20, description="Follow-up searches on names found inside the best "
                             "passages (a bridge entity, a linked title); 0 turns the second hop off.")
    document_hops: bool = Field(True, description="Add the neighbouring passages of the best passages of "
                                "multi-passage documents (search inside the right document).")
    passages: int = Field(4, ge=1, le=10, description="Whole passages the writer reads, best set first.")
    pair_rerank: bool = Field(True, description="Choose the writer's passages as a set that covers the question "
                              "together (both sides of a bridge or a comparison) rather than one by one.")
    passage_chars: int = Field(1500, ge=200, description="Longest passage text shown to the writer (a longer one "
                               "is cut around its best sentence).")
    views: int = Field(3, ge=1, le=7, description="Writer calls that vote, each over another arrangement of the "
                       "passages; the answer must be grounded in them.")
    tiebreak_views: int = Field(2, ge=0, le=4, description="More writer views asked when the first ones do not "
                                "reach `min_agreement`; the answer then needs two views and a strict plurality.")
    read_by: Literal["vote", "fuller", "likelihood"] = Field(
        "vote", description="How the views' answer is read when the writer can score replies (llama.cpp): 'vote' "
        "as voted; 'fuller' the voted answer or a fuller form of it in its sentence that the model finds likelier "
        "('Marion' → 'Marion, South Australia'); 'likelihood' the likeliest of all candidates. With a scoring "
        "writer the candidates' log-probabilities are calibration signals in any case (scent.agent.likelihood).")
    compare: bool = Field(True, description="Let the program decide 'A or B' questions on two extracted dates, and "
                          "'same X' questions on each subject's X read from its own passage.")
    plan: bool = Field(False, description="Ask the planner role for sub-questions before searching.")
    model_rounds: int = Field(0, ge=0, le=5, description="Rounds of searcher-proposed queries with a reader "
                              "reflection after the program's hops (0 = none: the 0.5B model's queries did not "
                              "help).")
    judge: bool = Field(False, description="Ask the judge role whether each cited passage supports the answer "
                        "(the 0.5B judge approves unsupported pairs: BENCHMARKS.md).")
    min_agreement: float = Field(0.5, ge=0, le=1, description="With three or more views, the share of them the "
                                 "best answer needs to be settled; below it, tie-break views are asked. A contested "
                                 "answer is still given (ties to the answer whose sentence matches the question "
                                 "best), its agreement lowering the confidence; the run abstains ('disagree') only "
                                 "when more views say 'unknown' than back it. 0 asks no tie-break views.")
    abstain_below: float | None = Field(None, ge=0, le=1, description="Abstain when the calibrated confidence (the "
                                        "chance that the answer is right) is lower; raise it for fewer, surer "
                                        "answers. None: the calibrator's own threshold (0.55 for the embedded "
                                        "model's, 0.2 for the classic weights).")
    budget: BudgetConfig = Field(default_factory=BudgetConfig)
    research: ResearchConfig = Field(default_factory=ResearchConfig)

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("preset") in AGENT_PRESETS:
            return merge_settings(AGENT_PRESETS[data["preset"]], data)
        return data


AGENT_PRESETS: dict[str, dict[str, Any]] = {
    "default": {},
    "fast": {"views": 1, "tiebreak_views": 0, "entity_hops": 3, "passages": 3},
    "thorough": {"plan": True, "model_rounds": 2, "judge": True, "views": 5, "wide_k": 30, "entity_hops": 10,
                 "budget": {"max_steps": 40}},
}


def merge_settings(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`over` laid on `base`, tables merged key by key (a preset under the user's settings, a file under --set)."""
    out = dict(base)
    for key, value in over.items():
        nested = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = merge_settings(out[key], value) if nested else value
    return out


ROLES = ("planner", "searcher", "reader", "writer", "judge")
DEFAULT_MODEL_SPEC = "llamacpp:default"


class ModelsConfig(BaseModel):
    """The model of each agent role, as a spec: llamacpp:default | llamacpp:PATH.gguf | openai:URL#MODEL |
    scripted:FILE. Every role always has an explicit spec; nothing falls back silently."""

    model_config = {"extra": "forbid"}

    planner: str = Field(DEFAULT_MODEL_SPEC, description="With agent.plan, restates the question and splits it "
                         "into sub-questions; with research.outline_choice, chooses the report's sections.")
    searcher: str = Field(DEFAULT_MODEL_SPEC, description="With agent.model_rounds, proposes search queries for what "
                          "the reader says is missing.")
    reader: str = Field(DEFAULT_MODEL_SPEC, description="With agent.model_rounds, says whether the best passages "
                        "answer the question and what is missing.")
    writer: str = Field(DEFAULT_MODEL_SPEC, description="Answers from the chosen passages in a few words, once per "
                        "view; in research, chooses each section's claims (research.choose_claims) and shortens "
                        "them (research.rewrite); eval's closed-book and rag answers; synth's closed-book check.")
    judge: str = Field(DEFAULT_MODEL_SPEC, description="With agent.judge, checks that a cited quote supports the "
                       "answer or claim; eval's LLM-judge grade (eval.judge) and rag's citation check; synth's "
                       "check that no passage answers an unanswerable task.")

    def describe(self) -> str:
        return ", ".join(f"{role}={getattr(self, role)}" for role in ROLES)


class MilvusConfig(BaseModel):
    """A Milvus index (`--index milvus://HOST:PORT/COLLECTION`, docs/scale-out.md): how its collection is made
    and how scent talks to the server (`[index.milvus]`)."""

    model_config = {"extra": "forbid"}

    analyzer: dict[str, Any] = Field(
        default_factory=lambda: {"tokenizer": "standard"}, description="Milvus analyzer_params of the BM25 text "
        "field, fixed when the collection is created. Milvus server: e.g. {type = \"english\"} stems; Milvus Lite "
        "knows only the standard (lower-cased words) and jieba tokenizers.")
    stem: bool = Field(True, description="BM25 over English stems computed by scent (the embedded index's en_stem "
                       "chain) before the analyzer: Milvus Lite has no stemmer. Off: the analyzer alone (on a Milvus "
                       "server, an english analyzer stems). Fixed when the collection is created.")
    index_type: Literal["HNSW", "IVF_FLAT", "FLAT"] = Field("HNSW", description="Index of the dense vectors.")
    hnsw_m: int = Field(16, ge=4, le=64, description="HNSW graph degree (M).")
    ef_construction: int = Field(200, ge=8, description="HNSW build breadth (efConstruction).")
    ef: int = Field(128, ge=1, description="HNSW search breadth (ef); at least the depth searched.")
    nlist: int = Field(1024, ge=1, description="IVF_FLAT clusters (nlist); nprobe = nlist / 16.")
    shards: int = Field(1, ge=1, le=64, description="Shards of a new collection (Milvus cluster: one per "
                        "~100M rows written in parallel; Milvus Lite ignores it).")
    replicas: int = Field(1, ge=1, le=16, description="In-memory replicas the collection is loaded with (Milvus "
                          "cluster: one per query node group a search load needs; Milvus Lite has one).")
    insert_batch: int = Field(512, ge=1, description="Rows per insert call.")
    timeout_s: float = Field(30.0, gt=0, description="Per-call timeout.")
    max_retries: int = Field(5, ge=0, description="Retries of a call that failed transiently (unavailable, "
                             "rate-limited, deadline exceeded); doubling backoff from 0.5 s.")


class RayConfig(BaseModel):
    """Ray workers for `--ray [ADDRESS]` (`[ray]`; docs/scale-out.md). Without an address a local cluster is
    started for the run and stopped after it."""

    model_config = {"extra": "forbid"}

    num_cpus: int | None = Field(None, ge=1, description="Workers of a local cluster (None: the CPU count).")
    object_store_mb: int = Field(512, ge=64, description="Object store of a local cluster: tasks pass questions, "
                                 "rows and text batches, never whole indexes.")
    max_retries: int = Field(3, ge=0, description="Times a task is run again when its worker dies.")
    embed_chunk: int = Field(128, ge=1, description="Texts per embedding task.")


class IndexConfig(BaseModel):
    """How an index is searched and how its vectors are made (`[index.retrieval]`, `[index.embed]`; the older
    top-level `[retrieval]` and `[embed]` tables are still read)."""

    model_config = {"extra": "forbid"}

    retrieval: RetrievalConfig = Field(default_factory=RetrievalConfig, description="Ranking: BM25, dense, hybrid.")
    embed: EmbedConfig = Field(default_factory=EmbedConfig, description="The embedder of dense vectors.")
    milvus: MilvusConfig = Field(default_factory=MilvusConfig, description="A Milvus index's collection and "
                                 "client settings.")


class EvalConfig(BaseModel):
    """How `scent eval` runs and scores the systems: `[eval]` in scent.toml, `--set eval.FIELD=VALUE`, or a file
    given with `--eval-config` (whose `agent` table, if any, replaces `[agent]` for that run); flags win."""

    model_config = {"extra": "forbid"}

    rag_k: int = Field(5, ge=1, le=20, description="Passages the rag baseline puts into its prompt.")
    verify_rag_citations: bool = Field(True, description="Check rag's cited passage with the agent's judge prompt "
                                       "(one more judge call per question, counted in rag's cost).")
    correct_metric: Literal["em", "cover_em", "judge"] = Field(
        "cover_em", description="What counts as a correct answer for accuracy, calibration and the plots.")
    judge: bool = Field(False, description="Also grade each answer with the judge role's model (LLM-judge "
                        "accuracy); these calls are not counted in the systems' cost.")
    workers: int | None = Field(None, ge=1, description="Questions in parallel; None = 1 for embedded and scripted "
                                "models (one llama.cpp context; scripted replies are ordered), 4 for HTTP servers.")


class RewardWeights(BaseModel):
    """Weights of the RL reward's components (docs/rl.md); the episode reward is their weighted sum."""

    model_config = {"extra": "forbid"}

    answer: float = Field(1.0, description="Answer score against the gold answers (`rl.answer_metric`; abstaining "
                          "scores 1 on an unanswerable task, 0 on an answerable one: eval's answer_scores).")
    citation: float = Field(0.5, description="Citation support: F1 of the cited passages that are gold, were shown "
                            "in the episode and whose quote (if any) occurs verbatim, against the gold passages.")
    abstention: float = Field(0.5, description="Calibrated abstention: +1 for abstaining on an unanswerable task; "
                              "an answer scores -(confidence - correct)², so a confident wrong answer costs most.")
    format: float = Field(0.2, description="1 when the episode ends with a well-formed answer or abstain action, "
                          "times the share of its actions that were well-formed.")


class RLConfig(BaseModel):
    """The RL environment (`scent.rl`, docs/rl.md): `[rl]` in scent.toml, `--set rl.FIELD=VALUE`. Budgets bound one
    episode the way `[agent.budget]` bounds an agent run; the defaults fit a small policy's context."""

    model_config = {"extra": "forbid"}

    weights: RewardWeights = Field(default_factory=RewardWeights, description="Reward component weights.")
    answer_metric: Literal["f1", "em", "cover_em"] = Field("f1", description="The answer component's metric.")
    correct_metric: Literal["em", "cover_em"] = Field("cover_em", description="What counts as a correct answer "
                                                      "for the calibration term (as `eval.correct_metric`).")
    default_confidence: float = Field(1.0, ge=0, le=1, description="The confidence of an answer that states none.")
    abstain_needs_search: bool = Field(False, description="An abstention before any search or lookup ran is a "
                                       "guess: its abstention reward is scored as an answer's (0, not +1, on an "
                                       "unanswerable task; -1 on an answerable one), so abstaining at once cannot "
                                       "raise the reward (docs/rl.md).")
    require_quotes: bool = Field(False, description="A citation counts only with a quote that occurs verbatim in "
                                 "its passage (else a cited gold passage seen in the episode suffices).")
    max_tool_calls: int = Field(8, ge=1, description="Tool calls (search, lookup, open, find) per episode; the "
                                "next one ends the episode unanswered.")
    max_turns: int = Field(12, ge=1, description="Actions of any kind (malformed ones included) per episode.")
    max_tokens: int = Field(8000, ge=100, description="Tokens of observations and actions per episode, estimated "
                            "as characters / 4; past it the episode ends unanswered.")
    k: int = Field(3, ge=1, le=20, description="Most passages one search or lookup returns.")
    observation_chars: int = Field(1500, ge=100, description="Longest observation text; a longer one is cut.")
