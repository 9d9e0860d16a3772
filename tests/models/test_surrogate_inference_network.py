"""The shipped surrogate evaluates through a frozen, batch-norm-folded copy of its network."""

import torch

from kerker.dataset import Designs
from kerker.models import load_surrogate


MATERIALS = load_surrogate().materials


def _designs(n=5):
    return Designs.broadcast("Si", ["SiO2", "TiO2", "Au", "Ag", "ZrO2"][:n], torch.linspace(20.0, 90.0, n),
                             torch.linspace(10.0, 80.0, n), materials=MATERIALS)


def test_predict_through_the_inference_copy_equals_the_network():
    model = load_surrogate()
    design = model.encode(_designs())
    with torch.no_grad():
        plain = model.network.eval()(design)
        used = model(design)
    torch.testing.assert_close(used, plain, rtol=0, atol=2e-5 * float(plain.abs().max()))


def test_design_gradients_reach_the_inputs_only():
    model = load_surrogate()
    r = torch.tensor([40.0, 60.0], dtype=torch.float64, requires_grad=True)
    q_fwd, q_back = model.predict(Designs.broadcast("Si", "SiO2", r, torch.tensor([30.0, 50.0], dtype=torch.float64), materials=MATERIALS))
    (q_fwd.sum() + q_back.sum()).backward()
    assert torch.isfinite(r.grad).all() and (r.grad != 0).all()
    assert all(p.grad is None for p in model.parameters())
    # the gradient equals the one through the unfolded network (autograd on the original weights)
    r2 = r.detach().clone().requires_grad_(True)
    design = model.encode(Designs.broadcast("Si", "SiO2", r2, torch.tensor([30.0, 50.0], dtype=torch.float64),
                                               materials=MATERIALS))
    q = model.preprocessing.decode_targets(model.network.eval()(design)).to(torch.float64)
    (q[:, 0].sum() + q[:, 1].sum()).backward()
    torch.testing.assert_close(r.grad, r2.grad, rtol=1e-4, atol=0)


def test_inference_copy_follows_changed_weights_and_is_not_state():
    model = load_surrogate()
    keys = list(model.state_dict())
    design = model.encode(_designs(3))
    with torch.no_grad():
        before = model(design)
        model.network.head.bias.add_(1.0)  # in place: the copy must be rebuilt
        after = model(design)
        torch.testing.assert_close(after, model.network.eval()(design), rtol=0, atol=2e-5 * float(after.abs().max()))
    assert (after - before).abs().min() > 0.5
    assert list(model.state_dict()) == keys
