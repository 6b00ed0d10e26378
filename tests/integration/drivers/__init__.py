"""Child-process programs that drive the engine directly; pytest never imports pjsua2 itself."""
