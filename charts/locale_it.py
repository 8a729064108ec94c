"""Plotly in Italian: the toolbar reduced to what a user needs (download as PNG, reset the axes) with
Italian labels, Italian number and date formats. Plotly.js ships English only; a locale passed in the figure
config (``locales``) translates its toolbar. Used by the pages (``ui.common.plotly``) and the HTML report."""

PLOTLY_IT = {
    "dictionary": {
        "Download plot as a png": "Scarica il grafico (PNG)", "Download plot as a PNG": "Scarica il grafico (PNG)",
        "Download plot": "Scarica il grafico", "Download plot as JSON": "Scarica il grafico (JSON)",
        "Preparing image - this may take a few seconds": "Preparazione dell'immagine: qualche secondo",
        "Image download succeeded": "Immagine scaricata",
        "Sorry, there was a problem downloading your image!": "Non è stato possibile scaricare l'immagine.",
        "Fullscreen": "Schermo intero",
        "Reset axes": "Ripristina gli assi", "Autoscale": "Adatta gli assi", "Zoom": "Ingrandisci un'area",
        "Pan": "Sposta", "Zoom in": "Ingrandisci", "Zoom out": "Riduci", "Box Select": "Seleziona un'area",
        "Lasso Select": "Selezione libera", "Reset view": "Ripristina la vista",
        "Toggle Spike Lines": "Linee di riferimento", "Show closest data on hover": "Dato più vicino",
        "Compare data on hover": "Confronta i dati", "Produced with Plotly.js": "Realizzato con Plotly.js",
        "Double-click to zoom back out": "Doppio clic per tornare alla vista intera",
        "trace": "serie",
    },
    "format": {
        "days": ["domenica", "lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato"],
        "shortDays": ["dom", "lun", "mar", "mer", "gio", "ven", "sab"],
        "months": ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
                   "ottobre", "novembre", "dicembre"],
        "shortMonths": ["gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"],
        "date": "%d/%m/%Y", "decimal": ",", "thousands": ".",
    },
}
PLOTLY_REMOVED_BUTTONS = ["zoom2d", "pan2d", "select2d", "lasso2d", "zoomIn2d", "zoomOut2d", "autoScale2d",
                          "toggleSpikelines", "hoverClosestCartesian", "hoverCompareCartesian", "zoom3d", "pan3d",
                          "orbitRotation", "tableRotation", "resetCameraDefault3d", "resetCameraLastSave3d",
                          "hoverClosest3d", "zoomInGeo", "zoomOutGeo", "resetGeo", "hoverClosestGeo",
                          "hoverClosestGl2d", "hoverClosestPie", "toggleHover", "resetViews", "resetViewMapbox",
                          "resetViewSankey", "sendDataToCloud"]
PLOTLY_IT_CONFIG = {"displaylogo": False, "locale": "it", "locales": {"it": PLOTLY_IT},
                    "modeBarButtonsToRemove": PLOTLY_REMOVED_BUTTONS,
                    "toImageButtonOptions": {"format": "png", "filename": "grafico", "scale": 2}}
