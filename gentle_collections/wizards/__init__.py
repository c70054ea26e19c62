from . import gentle_followup_send, gentle_payment_plan_propose
