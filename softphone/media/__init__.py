"""Audio graph pieces that never import pjsua2: frame sources, sinks and analysis."""
