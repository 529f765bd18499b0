"""The RL environment on a tiny corpus: scripted policies get rewards computed by hand (docs/rl.md's formulas,
default weights answer 1, citation 0.5, abstention 0.5, format 0.2), budgets end episodes, bad actions are
observations, and rollouts export with loss masks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rl_fixtures import BRIDGE, UNANSWERABLE, ScriptedPolicy, answer, build_corpus_index, search

from scent.config import RLConfig, ScentConfig, load_config
from scent.index import Index
from scent.rl import Action, SearchEnv, run_episode
from scent.rl.export import ROLLOUT_FORMAT, RolloutError, read_rollouts, rollout, write_rollouts
from scent.rl.rewards import Cited, Outcome, parse_citations, rewards


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory):
    with Index.open(build_corpus_index(tmp_path_factory.mktemp("rl"))) as idx:
        yield idx


def play(index: Index, task, *actions: Action, config: RLConfig | None = None):
    cfg = ScentConfig(rl=config or RLConfig())
    policy = ScriptedPolicy(*actions)
    episode = run_episode(task, policy, index, cfg)
    return episode, policy


def test_searching_and_citing_the_gold_passages(index: Index):
    episode, policy = play(index, BRIDGE, search("Vienna State Opera opened"), search("Don Giovanni opera composer"),
                           answer("Wolfgang Amadeus Mozart", "p-vienna, p-giovanni", 0.9))
    assert policy.seen[0].endswith(f"Question: {BRIDGE.question}")
    assert "[p-vienna]" in policy.seen[1] and "[p-giovanni]" in policy.seen[2]
    # answer F1 1; citations: both gold, both seen -> P = R = 1; Brier -(0.9 - 1)^2 = -0.01; 3 well-formed actions
    assert episode.status == "answered"
    assert episode.rewards == pytest.approx({"answer": 1.0, "citation": 1.0, "abstention": -0.01, "format": 1.0,
                                             "total": 1.0 + 0.5 * 1.0 + 0.5 * -0.01 + 0.2 * 1.0})
    log = episode.log()
    assert log["tool_calls"] == {"search": 2} and log["searches"] == 2 and log["turns"] == 3
    assert log["citations"] == ["p-vienna", "p-giovanni"] and log["subset"] == "bridge"


def test_one_cited_gold_passage_with_a_verbatim_quote_and_one_with_a_false_quote(index: Index):
    quotes = [{"id": "p-giovanni", "quote": "an opera in two acts by Wolfgang  Amadeus Mozart"},
              {"id": "p-vienna", "quote": "opened in 1870"}]
    episode, _ = play(index, BRIDGE, search("Don Giovanni Vienna State Opera"),
                      answer("Mozart", quotes, 1.0), config=RLConfig(require_quotes=True))
    # "Mozart" vs "Wolfgang Amadeus Mozart": P 1, R 1/3 -> F1 0.5; not cover-EM -> Brier -(1 - 0)^2 = -1
    # citations: 1 of 2 supported (the false quote is not in p-vienna) -> P 1/2, R 1/2 -> F1 1/2
    assert episode.rewards == pytest.approx({"answer": 0.5, "citation": 0.5, "abstention": -1.0, "format": 1.0,
                                             "total": 0.5 + 0.25 - 0.5 + 0.2})


def test_guessing_without_search(index: Index):
    episode, _ = play(index, BRIDGE, answer("Mozart", "p-giovanni"))
    # no confidence given -> rl.default_confidence 1; the gold id was never shown, so the citation is unsupported
    assert episode.rewards == pytest.approx({"answer": 0.5, "citation": 0.0, "abstention": -1.0, "format": 1.0,
                                             "total": 0.5 - 0.5 + 0.2})
    assert episode.log()["tool_calls"] == {} and episode.log()["searches"] == 0


def test_abstaining_on_an_unanswerable_task(index: Index):
    episode, _ = play(index, UNANSWERABLE, search("Vienna State Opera closed"), Action("abstain", {"reason": "no"}))
    # eval's answer_scores: abstaining on an unanswerable task scores 1; abstention +1; no answer, no citation
    assert episode.status == "abstained"
    assert episode.rewards == pytest.approx({"answer": 1.0, "citation": 0.0, "abstention": 1.0, "format": 1.0,
                                             "total": 1.0 + 0.5 + 0.2})


def test_answering_an_unanswerable_task_costs_its_confidence(index: Index):
    episode, _ = play(index, UNANSWERABLE, answer("1945", "", 0.5))
    assert episode.rewards == pytest.approx({"answer": 0.0, "citation": 0.0, "abstention": -0.25, "format": 1.0,
                                             "total": -0.125 + 0.2})


def test_abstaining_on_an_answerable_task(index: Index):
    episode, _ = play(index, BRIDGE, Action("abstain", {}))
    assert episode.rewards == pytest.approx({"answer": 0.0, "citation": 0.0, "abstention": 0.0, "format": 1.0,
                                             "total": 0.2})


def test_abstaining_needs_a_search_when_asked(index: Index):
    def abstention(task, *actions: Action, needs_search: bool = True) -> dict[str, float]:
        env = SearchEnv(index, RLConfig(abstain_needs_search=needs_search))
        env.reset(task)
        for action in actions:
            env.step(action)
        return env.episode.rewards

    quit_ = Action("abstain", {})
    # at once: a guess, scored as an answer at rl.default_confidence 1 -> Brier -(1 - 0)^2 on an answerable task,
    # -(1 - 1)^2 = 0 (not +1) on an unanswerable one; the answer and format components are unchanged
    assert abstention(BRIDGE, quit_) == pytest.approx({"answer": 0.0, "citation": 0.0, "abstention": -1.0,
                                                       "format": 1.0, "total": -0.5 + 0.2})
    assert abstention(UNANSWERABLE, quit_) == pytest.approx({"answer": 1.0, "citation": 0.0, "abstention": 0.0,
                                                             "format": 1.0, "total": 1.0 + 0.2})
    # a search call that failed (no query) is no evidence; a lookup is
    assert abstention(UNANSWERABLE, Action("search", {}), quit_)["abstention"] == 0.0
    assert abstention(UNANSWERABLE, Action("lookup", {"phrase": "closed"}), quit_)["abstention"] == 1.0
    # after a search: as without the option (1.7 and 0.2, the tests above)
    assert abstention(UNANSWERABLE, search("Vienna State Opera closed"), quit_)["total"] == pytest.approx(1.7)
    assert abstention(BRIDGE, search("Don Giovanni"), quit_)["total"] == pytest.approx(0.2)
    # off by default; an answer is scored the same either way
    assert abstention(BRIDGE, quit_, needs_search=False)["abstention"] == 0.0
    assert abstention(BRIDGE, answer("Mozart", "p-giovanni"))["abstention"] == -1.0


def test_malformed_actions_are_observations_and_lower_the_format_reward(index: Index):
    episode, policy = play(index, BRIDGE, Action("search", {}), Action("delete_all", {"x": 1}),
                           answer("", "p-vienna"), answer("Mozart", 42), answer("Mozart", "", 3),
                           search("Don Giovanni"), answer("Wolfgang Amadeus Mozart", ["p-giovanni"], 1.0))
    assert "missing argument(s) ['query']" in policy.seen[1] and "Unknown tool 'delete_all'" in policy.seen[2]
    assert "answer must be a non-empty string" in policy.seen[3]
    assert "citations must be passage ids" in policy.seen[4] and "confidence must be a number" in policy.seen[5]
    # 7 actions, 5 malformed -> format 2/7; citation P 1 (p-giovanni), R 1/2 -> 2/3
    assert episode.rewards == pytest.approx({"answer": 1.0, "citation": 2 / 3, "abstention": 0.0, "format": 2 / 7,
                                             "total": 1.0 + 1 / 3 + 0.2 * 2 / 7})
    assert episode.tool_counts == {"search": 2, "invalid": 1}


def test_the_tool_budget_ends_the_episode_unanswered(index: Index):
    episode, policy = play(index, BRIDGE, search("a"), search("b"), search("c"), answer("Mozart"),
                           config=RLConfig(max_tool_calls=2))
    assert episode.status == "budget_exhausted" and "tool budget is spent" in episode.turns[-1].observation
    assert episode.rewards == {"answer": 0.0, "citation": 0.0, "abstention": 0.0, "format": 0.0, "total": 0.0}
    assert len(policy.actions) == 1  # the answer was never asked for


def test_turn_and_token_budgets(index: Index):
    episode, _ = play(index, BRIDGE, Action("nope"), Action("nope"), answer("x"), config=RLConfig(max_turns=2))
    assert episode.status == "budget_exhausted" and len(episode.turns) == 2
    # the prompt is 100 tokens (400 characters / 4), an unknown-tool error ~25 more, a search's passages ~100 more
    episode, _ = play(index, BRIDGE, Action("nope"), search("Don Giovanni Mozart Vienna"), answer("x"),
                      config=RLConfig(max_tokens=150))
    assert episode.status == "budget_exhausted" and len(episode.turns) == 2 and 150 < episode.tokens < 300


def test_a_plain_text_ending_is_read_as_the_answer_without_the_format_reward(index: Index):
    env = SearchEnv(index)
    env.reset(BRIDGE)
    env.step(search("Don Giovanni composer"))
    episode = env.finish_text("It was Wolfgang Amadeus Mozart [p-giovanni].")
    # answer "It was Wolfgang Amadeus Mozart": P 3/5, R 1 -> F1 0.75; cover-EM 1 -> Brier 0; citation F1 2/3
    assert episode.status == "answered_in_text" and episode.outcome.citations == [Cited("p-giovanni")]
    assert episode.rewards == pytest.approx({"answer": 0.75, "citation": 2 / 3, "abstention": 0.0, "format": 0.0,
                                             "total": 0.75 + 1 / 3})
    env.reset(UNANSWERABLE)
    assert env.finish_text("Unanswerable: the documents do not say.").rewards["total"] == pytest.approx(1.5)
    assert env.step(search("late")).done and env.step(search("late")).observation == "The episode is over."


def test_weights_and_metrics_come_from_the_rl_config(tmp_path: Path, index: Index):
    (tmp_path / "scent.toml").write_text("[rl]\nanswer_metric = 'em'\n[rl.weights]\nanswer = 2.0\nformat = 0\n")
    cfg = load_config(tmp_path / "scent.toml", settings=["rl.weights.citation=1"])
    episode, _ = play(index, BRIDGE, search("Don Giovanni"), answer("Mozart", "p-giovanni", 0.0), config=cfg.rl)
    # EM 0; citation F1 2/3 (weight 1); Brier -(0 - 0)^2 = 0; format weight 0
    assert episode.rewards["total"] == pytest.approx(2 / 3)


def test_an_episode_from_an_index_folder(tmp_path: Path):
    folder = build_corpus_index(tmp_path)
    episode = run_episode(BRIDGE, ScriptedPolicy(search("Don Giovanni"), answer("Wolfgang Amadeus Mozart")), folder)
    assert episode.rewards["answer"] == 1.0 and episode.tool_counts == {"search": 1}


def test_schemas_list_every_action(index: Index):
    names = [s["function"]["name"] for s in SearchEnv(index).schemas()]
    assert names == ["search", "lookup", "open_document", "find_in_document", "answer", "abstain"]


def test_rewards_of_an_outcome_without_an_episode():
    outcome = Outcome(answer="yes", citations=[Cited("p-vienna")], confidence=0.7, finished=True, actions=1,
                      seen={"p-vienna"})
    task = BRIDGE.model_copy(update={"golden_answers": ["no"]})
    assert rewards(task, outcome, RLConfig())["abstention"] == pytest.approx(-0.49)
    assert parse_citations("[a], b;c") == [Cited("a"), Cited("b"), Cited("c")]
    assert parse_citations([{"id": "a", "quote": "q"}]) == [Cited("a", "q")] and parse_citations([3]) is None


def test_rollout_export_masks_tool_output(tmp_path: Path, index: Index):
    env = SearchEnv(index)
    env.reset(BRIDGE)
    env.step(Action("search", {"query": "Don Giovanni"}, text="I will search."))
    env.step(answer("Wolfgang Amadeus Mozart", "p-giovanni", 0.8))
    out = tmp_path / "rollouts" / "r.jsonl"
    assert write_rollouts(out, [rollout(env.episode, env.schemas(), step=3)]) == 1
    with out.open("a") as f:
        f.write('{"torn')  # a killed writer's last line
    [record] = list(read_rollouts(out))
    assert record["format"] == ROLLOUT_FORMAT and record["step"] == 3 and record["task"]["id"] == "t-bridge"
    roles = [(m["role"], m["loss_mask"]) for m in record["messages"]]
    assert roles == [("user", 0), ("assistant", 1), ("tool", 0), ("assistant", 1), ("tool", 0)]
    searched = record["messages"][2]
    assert "p-giovanni" in searched["retrieved_ids"] and "[p-giovanni]" in searched["content"]
    assert json.loads(record["messages"][1]["tool_calls"][0]["function"]["arguments"]) == {"query": "Don Giovanni"}
    assert record["messages"][1]["content"] == "I will search."
    assert set(record["rewards"]) == {"answer", "citation", "abstention", "format", "total"}
    assert record["tool_calls"] == {"search": 1} and len(record["tools"]) == 6
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"format": "other"}\n\n')
    with pytest.raises(RolloutError, match=r"bad\.jsonl:1"):
        list(read_rollouts(bad))
