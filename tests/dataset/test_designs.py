"""The design type: construction and its refusals, the two forms, views, indexing, dict round trip, broadcast."""

import json

import numpy as np
import pytest
import torch

from kerker.dataset import Designs

MATS = ("Si", "SiO2", "Au")


def hard(n=4, seed=0):
    rng = np.random.default_rng(seed)
    return Designs(MATS, core_index=rng.integers(0, 3, n), shell_index=rng.integers(0, 3, n),
                   r_core=rng.uniform(1, 100, n), t_shell=rng.uniform(0, 100, n))


def test_hard_form_views_and_dtypes():
    d = Designs(MATS, core_index=[0, 2], shell_index=[1, 1], r_core=[40, 25], t_shell=[10.0, 0.0])
    assert len(d) == 2 and d.materials == MATS and not d.is_soft and not d.is_torch
    assert d.core_index.dtype == np.int64 and d.r_core.dtype == np.float64  # ints become float64 nm
    assert d.core_names.tolist() == ["Si", "Au"] and d.shell_names.tolist() == ["SiO2", "SiO2"]
    assert d.r_shell.tolist() == [50.0, 25.0]
    assert np.array_equal(d.p_core, [[1, 0, 0], [0, 0, 1]]) and np.array_equal(d.p_shell, [[0, 1, 0], [0, 1, 0]])
    assert d.hard() is d
    assert repr(d) == "Designs(2 hard designs over ('Si', 'SiO2', 'Au'), r_core 25-40 nm, t_shell 0-10 nm)"


def test_soft_form_argmax_and_hard():
    p_core = np.array([[0.2, 0.5, 0.3], [0.9, 0.05, 0.05]])
    p_shell = np.array([[0.0, 0.0, 1.0], [0.4, 0.35, 0.25]])
    s = Designs(MATS, p_core=p_core, p_shell=p_shell, r_core=[10.0, 20.0], t_shell=[1.0, 2.0])
    assert s.is_soft and s.p_core is not None and np.array_equal(s.p_core, p_core)
    assert s.core_index.tolist() == [1, 0] and s.shell_index.tolist() == [2, 0]
    h = s.hard()
    assert not h.is_soft and h.core_names.tolist() == ["SiO2", "Si"] and h.r_core is s.r_core


def test_torch_arrays_keep_their_graph():
    r = torch.tensor([10.0, 20.0], requires_grad=True)
    logits = torch.zeros(2, 3, requires_grad=True)
    s = Designs(MATS, p_core=torch.softmax(logits, -1), p_shell=np.eye(3)[[0, 2]], r_core=r, t_shell=[5.0, 5.0])
    assert s.is_torch and s.r_core is r and torch.is_tensor(s.p_shell) and s.p_shell.dtype == torch.float64
    (s.r_shell.sum() + s.p_core[:, 1].sum()).backward()
    assert torch.equal(r.grad, torch.ones(2)) and logits.grad.abs().sum() > 0
    assert torch.equal(s.core_index, torch.tensor([0, 0]))  # ties go to the first material
    n = s.numpy()
    assert not n.is_torch and n.p_core.dtype == np.float64 and np.allclose(n.p_core, 1 / 3)


def test_indexing_is_always_a_batch():
    d = hard(6)
    one = d[2]
    assert isinstance(one, Designs) and len(one) == 1 and one.r_core[0] == d.r_core[2]
    assert d[-1].core_index[0] == d.core_index[5]
    sub = d[1:4]
    assert len(sub) == 3 and np.array_equal(sub.t_shell, d.t_shell[1:4])
    mask = d.r_core > 50
    assert np.array_equal(d[mask].r_core, d.r_core[mask])
    picked = d[np.array([5, 0])]
    assert picked.core_index.tolist() == [d.core_index[5], d.core_index[0]]
    assert len(d[d.r_core > 1e9]) == 0
    with pytest.raises(IndexError):
        d[6]


def test_dict_round_trip_through_json():
    for d in (hard(5), Designs(MATS, p_core=[[0.5, 0.5, 0]], p_shell=[[0, 0, 1.0]], r_core=[3.0], t_shell=[0.0])):
        text = json.dumps(d.to_dict())
        back = Designs.from_dict(json.loads(text))
        assert back.materials == d.materials and back.is_soft == d.is_soft
        for name in ("r_core", "t_shell", "p_core", "p_shell", "core_index"):
            assert np.array_equal(getattr(back, name), getattr(d, name)), name
    with pytest.raises(ValueError, match=r"unknown Designs keys \['core'\]"):
        Designs.from_dict({**hard().to_dict(), "core": [0]})
    empty = Designs.from_dict({"materials": ["Si"], "core_index": [], "shell_index": [], "r_core": [], "t_shell": []})
    assert len(empty) == 0 and repr(empty) == "Designs(0 hard designs over ('Si',))"


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        ({"materials": "Si"}, TypeError, r"materials must be a sequence of material names; received 'Si'"),
        ({"materials": ()}, ValueError, "materials must name at least one material"),
        ({"materials": ("Si", "Si", "Au")}, ValueError, r"materials must be distinct; received \('Si', 'Si', 'Au'\)"),
        ({"materials": ("Si", 3, "Au")}, TypeError, r"materials must hold names \(str\); received 3 \(int\)"),
        ({"core_index": None}, ValueError, "needs both core_index and shell_index .* or both p_core and p_shell"),
        ({"p_core": [[1.0, 0, 0]] * 2}, ValueError, "either core_index and shell_index .* not both"),
        ({"core_index": [0.0, 1.0]}, TypeError, r"core_index must hold integer material indices; received dtype float64"),
        ({"core_index": [0, 3]}, ValueError, r"core_index must lie in 0..2 \(indices into \['Si', 'SiO2', 'Au'\]\); "
                                             "received 3"),
        ({"shell_index": [-1, 0]}, ValueError, "shell_index must lie in 0..2 .* received -1"),
        ({"r_core": [1.0, 2.0, 3.0]}, ValueError, r"t_shell must have shape \(3,\) .* received shape \(2,\)"),
        ({"t_shell": [[1.0, 2.0]]}, ValueError, r"t_shell must have shape \(P,\); received shape \(1, 2\)"),
        ({"r_core": [0.0, 2.0]}, ValueError, r"r_core must be finite and > 0 \(nm\); received \[0.0\]"),
        ({"r_core": [np.nan, 2.0]}, ValueError, r"r_core must be finite and > 0 \(nm\); received \[nan\]"),
        ({"t_shell": [-1.0, 2.0]}, ValueError, r"t_shell must be finite and >= 0 \(nm\); received \[-1.0\]"),
        ({"r_core": ["a", "b"]}, TypeError, r"r_core must hold real numbers; received dtype <U1"),
    ],
)
def test_hard_designs_refuse(kwargs, err, match):
    args = {"materials": MATS, "core_index": [0, 1], "shell_index": [1, 2], "r_core": [1.0, 2.0],
            "t_shell": [1.0, 2.0], **kwargs}
    materials = args.pop("materials")
    with pytest.raises(err, match=match):
        Designs(materials, **args)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"p_core": [[0.5, 0.5]]}, r"p_core must have shape \(1, 3\) \(P = 1 designs from r_core, M = 3 materials\); "
                                   r"received shape \(1, 2\)"),
        ({"p_core": [0.5, 0.5, 0.0]}, r"p_core must have shape \(P, M\); received shape \(3,\)"),
        ({"p_core": [[0.5, 0.6, 0.0]]}, r"each row of p_core must sum to 1 \(material probabilities\); row 0 sums to 1.1"),
        ({"p_shell": [[-0.5, 1.5, 0.0]]}, r"p_shell \(the shell material weights\) must be finite and >= 0; row 0, "
                                        r"column 0 \(Si\) holds -0.5"),
    ],
)
def test_soft_designs_refuse(kwargs, match):
    args = {"p_core": [[0.5, 0.5, 0.0]], "p_shell": [[0.0, 0.0, 1.0]], "r_core": [1.0], "t_shell": [1.0], **kwargs}
    with pytest.raises(ValueError, match=match):
        Designs(MATS, **args)


def test_broadcast_names_weights_and_sizes():
    d = Designs.broadcast("si", ["SiO2", "Au", "Si"], 30.0, [1.0, 2.0, 3.0], materials=MATS)
    assert not d.is_soft and d.core_index.tolist() == [0, 0, 0] and d.shell_index.tolist() == [1, 2, 0]
    assert d.r_core.tolist() == [30.0] * 3
    s = Designs.broadcast([0.2, 0.8, 0.0], "Au", [10.0, 20.0], 5, materials=MATS)
    assert s.is_soft and np.array_equal(s.p_core, [[0.2, 0.8, 0.0]] * 2) and np.array_equal(s.p_shell, [[0, 0, 1.0]] * 2)
    r = torch.tensor([10.0, 20.0], requires_grad=True)
    t = Designs.broadcast("Si", "Au", r, 5.0, materials=MATS)
    assert t.is_torch and t.r_core.requires_grad and t.core_index.dtype == torch.int64
    with pytest.raises(ValueError, match=r"core material 'Ag' is unknown; known materials: \['Si', 'SiO2', 'Au'\]"):
        Designs.broadcast("Ag", "Si", 1.0, 1.0, materials=MATS)
    with pytest.raises(ValueError, match=r"must broadcast over particles \(length 1 or P\), got lengths"):
        Designs.broadcast("Si", "Au", [1.0, 2.0], [1.0, 2.0, 3.0], materials=MATS)
    with pytest.raises(TypeError, match="not permittivities"):
        Designs.broadcast(np.ones(3) * 1j, "Au", 1.0, 1.0, materials=MATS)
    with pytest.raises(ValueError, match=r"shell weights must have shape \(M,\) or \(P, M\) with M = 3"):
        Designs.broadcast("Si", np.ones(4) / 4, 1.0, 1.0, materials=MATS)
