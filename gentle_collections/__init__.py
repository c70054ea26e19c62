from . import controllers, demo, models, wizards
