"""Command groups shared by several CLI modules: ``kerker train <target>``, ``kerker evaluate <target>``,
``kerker lattice <subcommand>``.

Any module's ``register(subparsers)`` may call :func:`command_group` to get the group's
sub-command set (created on first use) and add its own target to it, e.g.
``command_group(sub, "train").add_parser("wgan", ...)``; registration order does not matter.
"""

from __future__ import annotations

__all__ = ["LATTICE_CONVENTIONS", "command_group"]

#: The lattice conventions every ``kerker lattice`` help text states.
LATTICE_CONVENTIONS = (
    "Conventions: tau = x + iy (y > 0) is the dimensionless shape of the lattice "
    "w = m + n tau (first period 1); S(n,l) = sum' exp(i l arg w)/|w|^n; Wirtinger "
    "d = (d/dx - i d/dy)/2, dbar = (d/dx + i d/dy)/2. S(2,0) is the Kronecker-regularised "
    "monopole, S(2,-2) = G2* = G2 - pi/y (disk summation); S(n,-n) = G_n; S(n,l) = conj S(n,-l). "
    "J(tau) = y|G2*| - kappa y^2 S(4,0), in units of p^2/(4 pi eps0 A)."
)

# name -> (help, description, metavar of the sub-command)
_GROUPS = {
    "train": ("train a model with the project's settings (checkpoints, progress, resumable)", None, "TARGET"),
    "evaluate": ("measure a trained model against exact physics (JSON + figures)", None, "TARGET"),
    "lattice": (
        "2D lattice sums, exact gradients and the BFGS demo (dimensionless; see --help)",
        "Lattice sums via quasi-modular forms with exact gradients. " + LATTICE_CONVENTIONS,
        "SUBCOMMAND",
    ),
}


def command_group(subparsers, name: str):
    """Return the sub-command set of top-level group ``name`` ("train", "evaluate" or "lattice").

    Parameters
    ----------
    subparsers
        The top-level ``add_subparsers()`` action of the ``kerker`` parser.
    name : str
        Group name, one of ``_GROUPS``.
    """
    if name not in _GROUPS:
        raise ValueError(f"unknown command group {name!r}; known: {sorted(_GROUPS)}")
    parser = subparsers.choices.get(name)
    if parser is None:
        help_text, description, metavar = _GROUPS[name]
        parser = subparsers.add_parser(name, help=help_text, description=description or help_text.capitalize() + ".")
        # Not required: the group without a target prints its help (kerker.cli.main).
        targets = parser.add_subparsers(dest="target", metavar=metavar)
        parser.set_defaults(_targets=targets)
    return parser.get_default("_targets")
