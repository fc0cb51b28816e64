"""Finding boards: serial ports and what is on them (:mod:`.ports`), the devices the app and CLI
offer (:mod:`.devices`), and the short names users give them (:mod:`.names`)."""
