"""costbasis: on-chain holder cost-basis analytics (cohorts, URPD, bands, whale signals)."""

__version__ = "0.1.0"
