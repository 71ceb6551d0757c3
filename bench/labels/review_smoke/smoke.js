const { chromium } = require('playwright-core');
(async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox','--disable-gpu','--disable-quic','--no-first-run','--disable-background-networking','--disable-component-update','--disable-sync'] });
  const page = await browser.newPage({ viewport: { width: 1300, height: 1500 } });
  await page.goto('http://127.0.0.1:8899/lab/tree/review_smoke.ipynb', { timeout: 120000 });
  await page.waitForSelector('.jp-Notebook', { timeout: 120000 });
  await page.waitForSelector('.jp-Notebook-ExecutionIndicator[data-status="idle"]', { timeout: 300000 }).catch(() => {});
  await page.waitForTimeout(3000);
  const select = page.locator('.jp-Dialog button:has-text("Select")');  // a notebook without a kernel
  if (await select.count()) { await select.first().click(); await page.waitForTimeout(3000); }
  let shown = false;
  for (let attempt = 0; attempt < 6 && !shown; attempt++) {  // the kernel may still be starting
    await page.click('.lm-MenuBar-itemLabel:text-is("Run")', { timeout: 30000 });
    await page.click('.lm-Menu-itemLabel:text-is("Run All Cells")', { timeout: 30000 });
    shown = await page.waitForSelector('.widget-toggle-button', { timeout: 90000 }).then(() => true, () => false);
  }
  if (!shown) {
    await page.screenshot({ path: '' + (process.env.SMOKE_DIR || '/tmp/bizsum_review_smoke') + '/failed.png' });
    throw new Error('the review widget did not appear');
  }
  await page.waitForTimeout(2000);
  const buttons = await page.$$('.widget-toggle-button');
  console.log('toggle buttons:', buttons.length);
  // first claim: "unsupported" (second button of the first group)
  await buttons[1].click();
  await page.waitForTimeout(2500);
  const status = await page.textContent('text=/saved claim 1/');
  console.log('status:', status);
  await page.screenshot({ path: '' + (process.env.SMOKE_DIR || '/tmp/bizsum_review_smoke') + '/review_widget.png', fullPage: false });
  await page.click('summary:text-is("evidence and reasons")');
  await page.waitForTimeout(500);
  await page.screenshot({ path: '' + (process.env.SMOKE_DIR || '/tmp/bizsum_review_smoke') + '/review_widget_evidence.png', fullPage: false });
  const areas = page.locator('h4:text-is("Focus areas")');
  await areas.scrollIntoViewIfNeeded();
  const details = page.locator('summary:text-is("key content carried / missed")');
  if (await details.count()) { await details.first().click(); }
  await page.locator('.widget-toggle-button:text-is("missed")').first().click();
  await page.waitForTimeout(2000);
  await page.screenshot({ path: '' + (process.env.SMOKE_DIR || '/tmp/bizsum_review_smoke') + '/review_widget_areas.png', fullPage: false });
  await browser.close();
})().catch(async e => { console.error(e); process.exit(1); });
