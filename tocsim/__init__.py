"""The ``tocsim`` command: ties the engine (``sim``) and its users (``analysis``) together."""
