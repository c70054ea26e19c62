from . import gentle_payment_plan_portal, portal
