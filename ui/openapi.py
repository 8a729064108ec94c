"""The OpenAPI 3.0 description of the read-only API, served at ``/api/v1/openapi.json`` (issue 19).
Validated by ``openapi-spec-validator`` in ``tests/test_server.py``."""
from __future__ import annotations


def _error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Errore"}}}}


ERRORS = {
    "401": _error_response("Token mancante, revocato o non valido."),
    "403": _error_response("Il piano non è tra quelli a cui il token ha accesso."),
    "404": _error_response("Il piano non esiste."),
    "422": _error_response("Parametro non valido (identificativo del piano, data GG/MM/AAAA)."),
    "429": _error_response("Troppe richieste con questo token: riprovare dopo i secondi di «Retry-After»."),
}

PLAN_ID = {"name": "plan_id", "in": "path", "required": True, "description": "Identificativo del piano (da /piani).",
           "schema": {"type": "integer"}}


def openapi_document(version: str) -> dict:
    obj = {"type": "object", "additionalProperties": True}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Cruscotto Performance — API in sola lettura",
            "version": version,
            "description": ("Dati del ciclo della performance con le stesse autorizzazioni dell'interfaccia: ogni "
                            "richiesta agisce come l'utente del token personale (ruolo ed enti), sotto il ruolo "
                            "«direttore» senza nominativi; ogni chiamata è nel Registro. Token: pagina Utenti o "
                            "`python -m store tokens add NOME`."),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"tokenPersonale": []}],
        "paths": {
            "/piani": {"get": {
                "summary": "I piani che il token può vedere",
                "operationId": "elencoPiani",
                "responses": {"200": {"description": "Elenco dei piani", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Piani"}}}}, "401": ERRORS["401"], "429": ERRORS["429"]},
            }},
            "/piani/{plan_id}/report": {"get": {
                "summary": "Il rapporto del piano (lo stesso JSON di `python -m metrics report --format json`)",
                "operationId": "rapportoPiano",
                "parameters": [PLAN_ID, {"name": "data", "in": "query", "required": False,
                                         "description": "Data di monitoraggio GG/MM/AAAA (predefinita: quella del piano).",
                                         "schema": {"type": "string", "pattern": r"^\d{1,2}/\d{1,2}/\d{4}$"}}],
                "responses": {"200": {"description": "Rapporto", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Rapporto"}}}}, **ERRORS},
            }},
            "/piani/{plan_id}/obiettivi": {"get": {
                "summary": "Gli obiettivi del piano (nominativi solo da «direttore» in su)",
                "operationId": "obiettiviPiano",
                "parameters": [PLAN_ID],
                "responses": {"200": {"description": "Obiettivi", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Obiettivi"}}}}, **ERRORS},
            }},
        },
        "components": {
            "securitySchemes": {"tokenPersonale": {"type": "http", "scheme": "bearer",
                                                   "description": "Token personale (crp_…)"}},
            "schemas": {
                "Errore": {"type": "object", "required": ["errore"], "properties": {"errore": {
                    "type": "object", "required": ["stato", "messaggio"],
                    "properties": {"stato": {"type": "integer"}, "messaggio": {"type": "string"}}}}},
                "Piano": {"type": "object", "required": ["id", "ente", "titolo"], "properties": {
                    "id": {"type": "integer"}, "ente": {"type": "string"}, "titolo": {"type": "string"},
                    "versione": {"type": "integer"}, "anno_inizio": {"type": "integer", "nullable": True},
                    "anno_fine": {"type": "integer", "nullable": True},
                    "data_monitoraggio": {"type": "string", "format": "date", "nullable": True}}},
                "Piani": {"type": "object", "required": ["piani"], "properties": {
                    "piani": {"type": "array", "items": {"$ref": "#/components/schemas/Piano"}}}},
                "Rapporto": {"type": "object", "required": ["plan", "year", "as_of", "objectives"], "properties": {
                    "plan": obj, "year": {"type": "integer"}, "as_of": {"type": "string", "format": "date"},
                    "achievement": {"type": "number", "nullable": True}, "score": {"type": "number", "nullable": True},
                    "profile": obj, "forecast": {**obj, "nullable": True},
                    "objectives": {"type": "array", "items": obj}, "areas": {"type": "array", "items": obj},
                    "strategic_objectives": {"type": "array", "items": obj},
                    "quality": {"type": "array", "items": obj}}},
                "Obiettivo": {"type": "object", "required": ["codice", "titolo"], "properties": {
                    "codice": {"type": "string"}, "titolo": {"type": "string"}, "tipo": {"type": "string", "nullable": True},
                    "peso": {"type": "number", "nullable": True}, "raggiungimento": {"type": "number", "nullable": True},
                    "stato": {"type": "string", "nullable": True}, "punteggio": {"type": "number", "nullable": True},
                    "fasi": {"type": "integer"}, "fasi_in_ritardo": {"type": "integer"},
                    "fasi_scadute": {"type": "integer"}, "persone": {"type": "integer"},
                    "responsabile": {"type": "string", "nullable": True},
                    "personale": {"type": "array", "items": {"type": "object", "properties": {
                        "nome": {"type": "string"}, "qualifica": {"type": "string", "nullable": True},
                        "partecipazione": {"type": "number", "nullable": True},
                        "valutazione": {"type": "number", "nullable": True}}}}}},
                "Obiettivi": {"type": "object", "required": ["piano", "obiettivi", "nominativi"], "properties": {
                    "piano": obj, "anno": {"type": "integer"}, "nominativi": {"type": "boolean"},
                    "obiettivi": {"type": "array", "items": {"$ref": "#/components/schemas/Obiettivo"}}}},
            },
        },
    }
