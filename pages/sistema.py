"""Sistema di misurazione: il profilo SMVP dell'ente per l'anno, i profili a confronto sul piano."""
from ui.views.sistema import render

render()
