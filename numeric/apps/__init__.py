"""Applications built on the response layer: scans of a branch over many q with error estimates and worker processes
(``scan``), and the paper's Fig. 2 with REPORT.md (``figure2``)."""
