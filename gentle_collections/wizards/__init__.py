from . import gentle_followup_send
