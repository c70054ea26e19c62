from . import (
    gentle_call_schedule,
    gentle_followup_message_edit,
    gentle_followup_send,
    gentle_payment_plan_propose,
)
