from . import (
    account_move,
    account_move_line,
    account_partial_reconcile,
    gentle_followup_action,
    gentle_followup_engine,
    gentle_followup_history,
    gentle_followup_level,
    gentle_followup_policy,
    gentle_followup_template,
    gentle_grade,
    gentle_score_engine,
    gentle_score_snapshot,
    mail_mail,
    res_company,
    res_config_settings,
    res_partner,
)

# isort: split
# Last: it extends methods defined by the modules above.
from . import gentle_ui
