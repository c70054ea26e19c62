from . import gentle_payment_plan_portal, gentle_statement_portal, portal
