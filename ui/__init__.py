"""Streamlit helpers shared by the pages (selection, headers, tables, navigation)."""
