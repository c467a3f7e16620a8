"""lab/cgroups.py: walking a twin's cgroup tree that may vanish under the walk (a container exiting meanwhile)."""
from __future__ import annotations

from lab import cgroups


def test_the_subtree_lists_the_cgroup_and_its_children_deepest_first(tmp_path):
    (tmp_path / "llmlab-mini" / "payload" / "system.slice").mkdir(parents=True)
    (tmp_path / "llmlab-mini" / "supervisor").mkdir()
    tree = cgroups._subtree(tmp_path / "llmlab-mini")
    assert tree[0] == tmp_path / "llmlab-mini" / "payload" / "system.slice" and tree[-1] == tmp_path / "llmlab-mini"
    assert len(tree) == 4


def test_a_cgroup_gone_before_or_during_the_walk_is_nothing_to_kill(tmp_path, monkeypatch):
    gone = tmp_path / "llmlab-dietpi"
    assert cgroups._subtree(gone) == [] and cgroups.pids(gone) == set()
    assert cgroups.kill_and_remove(gone, timeout=0.1) == []
    (gone / "payload").mkdir(parents=True)
    (gone / "cgroup.procs").write_text("")
    real_walk = cgroups.os.walk

    def walk_while_payload_vanishes(top, *args, **kwargs):  # the container exits as the walk begins
        (gone / "payload").rmdir()
        return real_walk(top, *args, **kwargs)

    monkeypatch.setattr(cgroups.os, "walk", walk_while_payload_vanishes)
    assert cgroups.pids(gone) == set()
