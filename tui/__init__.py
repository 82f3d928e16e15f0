"""chaindoctor: diagnose and repair X.509 certificate chains."""
__version__ = "0.1.0"
