-- hyte: every data table of the HTML site scrolls inside its own container (no overlap with the
-- page's table of contents, no sideways scroll of the page on a phone) and has row headers: the
-- first cell of each body row is a <th scope="row">. Runs after Quarto's own filters
-- (_quarto.yml: filters: [quarto, styles/hyte-tables.lua]); other formats are left as they are.

local function is_html()
  return quarto ~= nil and quarto.doc ~= nil and quarto.doc.is_format("html")
end

function Table(tbl)
  if not is_html() then
    return nil
  end
  for _, body in ipairs(tbl.bodies) do
    body.row_head_columns = 1
    for _, row in ipairs(body.body) do
      if #row.cells > 0 then
        row.cells[1].attributes["scope"] = "row"
      end
    end
  end
  return pandoc.Div({tbl}, pandoc.Attr("", {"hyte-table-scroll"}, {tabindex = "0", role = "region",
    ["aria-label"] = "Taulukko, vieritettävissä sivusuunnassa"}))
end
