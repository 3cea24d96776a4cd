"""Writing results: arrays with a JSON sidecar of parameters and provenance (``files``) and figures with axes, units
and captions (``plots``). Imports nothing of ``numeric`` but ``numeric.validation``."""
