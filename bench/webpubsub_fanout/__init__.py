"""Fan-out benchmark of the local Web PubSub emulator; see ``__main__``."""
