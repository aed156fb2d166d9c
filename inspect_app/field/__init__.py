"""Working in the field: what the phone needs beyond the ticket pages.

web.py   the service worker at the site root (/sw.js, so it may serve every page), the offline fallback page,
         /favicon.ico, and the schematic map of segments for the filing page (a phone without location picks its
         segment by searching the page's list or tapping the map) (segments projected to a plane, drawn as SVG by the page; no tiles, no CDN).
"""
